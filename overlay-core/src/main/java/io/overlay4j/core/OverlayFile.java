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
  /** Moves a reader of a lower file to the upper copy once the file has been copied up. */
  interface CopyUpWatch {
    /** A number that changes whenever anything is copied up. */
    long generation();

    /** The upper copy of the file opened as {@code openedAs}, if it has one now, else null. */
    LayerFile reopenUpper(String path, Stat openedAs) throws IOException;
  }

  private final String path;
  private final boolean writable;
  private final Stat openedAs;
  private volatile LayerFile file;
  private volatile CopyUpWatch watch;
  private long generation;

  OverlayFile(String path, LayerFile file, boolean writable, Stat openedAs) {
    this(path, file, writable, openedAs, null);
  }

  OverlayFile(String path, LayerFile file, boolean writable, Stat openedAs, CopyUpWatch watch) {
    this.path = path;
    this.file = file;
    this.writable = writable;
    this.openedAs = openedAs;
    this.watch = watch;
    this.generation = watch == null ? 0 : watch.generation();
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
    CopyUpWatch w = watch;
    if (w != null && w.generation() != generation) {
      followCopyUp(w);
    }
    return file.read(dst, position);
  }

  /** As the kernel does: a reader of a lower file reads the upper copy once there is one. */
  private synchronized void followCopyUp(CopyUpWatch w) throws IOException {
    if (watch == null) {
      return;
    }
    generation = w.generation();
    LayerFile upper = w.reopenUpper(path, openedAs);
    if (upper != null) {
      LayerFile lower = file;
      file = upper;
      watch = null;
      lower.close();
    }
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
