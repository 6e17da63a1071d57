package io.overlay4j.nio;

import io.overlay4j.core.OverlayException;
import io.overlay4j.core.OverlayFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * An open file of the overlay as a {@link FileChannel} (and so a {@code SeekableByteChannel}):
 * reads and writes at a position over the core's {@link OverlayFile}, which keeps serving a file
 * renamed or unlinked while open. {@code APPEND} writes at the end. {@link #map} and {@link
 * #lock} throw {@link UnsupportedOperationException}: the core has no memory mapping or locks
 * (the JDK's zip file system's channels do not support them either). Thread-safe: position
 * changes are serialized.
 */
final class OverlayFileChannel extends FileChannel {
  private final OverlayFileSystem fs;
  private final OverlayFile file;
  private final String name;
  private final boolean readable;
  private final boolean writable;
  private final boolean append;
  private final boolean sync;
  private long position;

  OverlayFileChannel(OverlayFileSystem fs, OverlayFile file, String name, boolean readable,
      boolean writable, boolean append, boolean sync) {
    this.fs = fs;
    this.file = file;
    this.name = name;
    this.readable = readable;
    this.writable = writable;
    this.append = append;
    this.sync = sync;
  }

  private void ensureOpen() throws IOException {
    if (!isOpen()) {
      throw new ClosedChannelException();
    }
  }

  private IOException map(OverlayException e) {
    return Errors.translate(e, name, null);
  }

  private void checkReadable() throws IOException {
    ensureOpen();
    if (!readable) {
      throw new NonReadableChannelException();
    }
  }

  private void checkWritable() throws IOException {
    ensureOpen();
    if (!writable) {
      throw new NonWritableChannelException();
    }
  }

  @Override
  public synchronized int read(ByteBuffer dst) throws IOException {
    checkReadable();
    int n = read(dst, position);
    if (n > 0) {
      position += n;
    }
    return n;
  }

  @Override
  public synchronized long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    checkReadable();
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      if (!dsts[i].hasRemaining()) {
        continue;
      }
      int n = read(dsts[i]);
      if (n < 0) {
        return total == 0 ? -1 : total;
      }
      total += n;
      if (dsts[i].hasRemaining()) {
        break;
      }
    }
    return total;
  }

  @Override
  public synchronized int write(ByteBuffer src) throws IOException {
    checkWritable();
    if (append) {
      // O_APPEND: finding the end and writing there is one step for every appender of this
      // file system (the core writes at positions only).
      synchronized (fs.appendLock()) {
        position = size();
        int n = write(src, position);
        position += n;
        return n;
      }
    }
    int n = write(src, position);
    position += n;
    return n;
  }

  @Override
  public synchronized long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    checkWritable();
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      while (srcs[i].hasRemaining()) {
        total += write(srcs[i]);
      }
    }
    return total;
  }

  @Override
  public synchronized long position() throws IOException {
    ensureOpen();
    return append ? size() : position;
  }

  @Override
  public synchronized FileChannel position(long newPosition) throws IOException {
    ensureOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position");
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() throws IOException {
    ensureOpen();
    try {
      return file.size();
    } catch (OverlayException e) {
      throw map(e);
    }
  }

  /** Shrinks the file to {@code size} (a larger size leaves it as it is, as the spec says). */
  @Override
  public synchronized FileChannel truncate(long size) throws IOException {
    if (size < 0) {
      throw new IllegalArgumentException("negative size");
    }
    checkWritable();
    try {
      if (size < file.size()) {
        file.truncate(size);
      }
    } catch (OverlayException e) {
      throw map(e);
    }
    if (position > size) {
      position = size;
    }
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    ensureOpen();
    try {
      file.sync(metaData);
    } catch (OverlayException e) {
      throw map(e);
    }
  }

  @Override
  public long transferTo(long pos, long count, WritableByteChannel target) throws IOException {
    checkReadable();
    if (pos < 0 || count < 0) {
      throw new IllegalArgumentException("negative position or count");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
    long done = 0;
    while (done < count) {
      buf.clear().limit((int) Math.min(buf.capacity(), count - done));
      int n = read(buf, pos + done);
      if (n <= 0) {
        break;
      }
      buf.flip();
      while (buf.hasRemaining()) {
        target.write(buf);
      }
      done += n;
    }
    return done;
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long pos, long count) throws IOException {
    checkWritable();
    if (pos < 0 || count < 0) {
      throw new IllegalArgumentException("negative position or count");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
    long done = 0;
    while (done < count) {
      buf.clear().limit((int) Math.min(buf.capacity(), count - done));
      int n = src.read(buf);
      if (n <= 0) {
        break;
      }
      buf.flip();
      while (buf.hasRemaining()) {
        done += write(buf, pos + done);
      }
    }
    return done;
  }

  @Override
  public int read(ByteBuffer dst, long pos) throws IOException {
    checkReadable();
    if (pos < 0) {
      throw new IllegalArgumentException("negative position");
    }
    try {
      return file.read(dst, pos);
    } catch (OverlayException e) {
      throw map(e);
    }
  }

  @Override
  public int write(ByteBuffer src, long pos) throws IOException {
    checkWritable();
    if (pos < 0) {
      throw new IllegalArgumentException("negative position");
    }
    try {
      int n = file.write(src, pos);
      if (sync) {
        file.sync(true);
      }
      return n;
    } catch (OverlayException e) {
      throw map(e);
    }
  }

  /** Not supported: overlay-core has no memory mapping (nor has the JDK's zip file system). */
  @Override
  public MappedByteBuffer map(MapMode mode, long pos, long size) {
    throw new UnsupportedOperationException("an overlay file cannot be memory-mapped");
  }

  /** Not supported: overlay-core has no file locks (nor has the JDK's zip file system). */
  @Override
  public FileLock lock(long pos, long size, boolean shared) {
    throw new UnsupportedOperationException("an overlay file cannot be locked");
  }

  /** Not supported, as {@link #lock}. */
  @Override
  public FileLock tryLock(long pos, long size, boolean shared) {
    throw new UnsupportedOperationException("an overlay file cannot be locked");
  }

  @Override
  protected void implCloseChannel() throws IOException {
    fs.released(this);
    try {
      file.close();
    } catch (OverlayException e) {
      throw map(e);
    }
  }
}
