package io.overlay4j.core.layer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** An open regular file of one layer: positional reads and writes, nothing else. */
public interface LayerFile extends Closeable {

  /** Reads into {@code dst} from {@code position}; returns the bytes read, -1 at end of file. */
  int read(ByteBuffer dst, long position) throws IOException;

  /** Writes {@code src} at {@code position}; returns the bytes written. */
  int write(ByteBuffer src, long position) throws IOException;

  long size() throws IOException;

  void truncate(long size) throws IOException;

  /** Flushes data (and metadata when asked) to stable storage. */
  void sync(boolean metadata) throws IOException;

  @Override
  void close() throws IOException;

  /** Copies all of {@code in} to the same offsets of {@code out}; returns the bytes copied. */
  static long copy(LayerFile in, LayerFile out) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
    long pos = 0;
    for (int n; (n = in.read(buf.clear(), pos)) > 0; ) {
      buf.flip();
      while (buf.hasRemaining()) {
        pos += out.write(buf, pos);
      }
    }
    return pos;
  }
}
