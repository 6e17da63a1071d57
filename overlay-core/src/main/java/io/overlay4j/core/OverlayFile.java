package io.overlay4j.core;

import io.overlay4j.core.layer.LayerFile;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An open file of the merged view. Reads and writes go straight to the real file the open
 * resolved to, without resolving the path again.
 */
public final class OverlayFile implements Closeable {
  private final String path;
  private final LayerFile file;
  private final boolean writable;
  private final Stat openedAs;

  OverlayFile(String path, LayerFile file, boolean writable, Stat openedAs) {
    this.path = path;
    this.file = file;
    this.writable = writable;
    this.openedAs = openedAs;
  }

  /**
   * {@code fstat} for a file whose name may be gone (unlinked while open): its attributes when
   * it was opened, with its current size.
   */
  public Stat stat() throws IOException {
    Stat s = openedAs;
    long size = file.size();
    return new Stat(s.type(), s.mode(), s.ino(), s.dev(), s.rdev(), s.nlink(), s.uid(), s.gid(),
        size, (size + 511) / 512, s.atimeNanos(), s.mtimeNanos(), s.ctimeNanos());
  }

  public String path() {
    return path;
  }

  /** Reads into {@code dst} from {@code position}; returns the bytes read, -1 at end of file. */
  public int read(ByteBuffer dst, long position) throws IOException {
    return file.read(dst, position);
  }

  /** Writes {@code src} at {@code position}; returns the bytes written. */
  public int write(ByteBuffer src, long position) throws IOException {
    requireWritable();
    return file.write(src, position);
  }

  /** Sets the file's size ({@code ftruncate}). */
  public void truncate(long size) throws IOException {
    requireWritable();
    file.truncate(size);
  }

  /** {@code fsync} ({@code metadata} true) or {@code fdatasync}. */
  public void sync(boolean metadata) throws IOException {
    file.sync(metadata);
  }

  public long size() throws IOException {
    return file.size();
  }

  private void requireWritable() throws OverlayException {
    if (!writable) {
      throw new OverlayException(Errno.EBADF, path, "not open for writing");
    }
  }

  public boolean writable() {
    return writable;
  }

  LayerFile layerFile() {
    return file;
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
