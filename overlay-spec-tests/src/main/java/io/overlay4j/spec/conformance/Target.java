package io.overlay4j.spec.conformance;

import io.overlay4j.spec.TreeSnapshot;
import io.overlay4j.spec.model.Model;
import io.overlay4j.spec.model.Op;
import io.overlay4j.spec.model.Outcome;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * An overlay under test, over lower layers written for it and an empty upper directory:
 * operations on its merged view (each returning success or the errno), snapshots of the merged
 * view, the upper directory and the lower layers, and the lower-level handles the named
 * scenarios need. Implementations: overlay-core in memory and over host directories, and any
 * mount (the kernel, fuse-overlayfs, overlay4j's FUSE server, a command template) driven
 * through system calls on its mount point.
 */
public interface Target extends Closeable {
  /** The target kind's name, e.g. {@code kernel}. */
  String name();

  /** Applies an operation; an IOException means the harness failed, not the operation. */
  Outcome apply(Op op) throws IOException;

  /** The merged view as readdir and lstat show it. */
  TreeSnapshot merged() throws IOException;

  /** The upper directory as stored: whiteouts, overlay xattrs and all. */
  TreeSnapshot upper() throws IOException;

  /** Each lower layer as stored, topmost first. */
  List<TreeSnapshot> lowers() throws IOException;

  /**
   * What the work directory holds beyond the kernel's empty {@code work/} (one line each), or
   * null where it cannot be judged now (a mounted userspace overlay owns it until unmounted).
   */
  List<String> workLeftovers() throws IOException;

  /** The owner of the upper root directory: the merged root shows it. */
  Model.RootAttrs rootAttrs() throws IOException;

  /** Unmounts and mounts again (a fresh Overlay for the core). */
  void remount() throws IOException;

  /** Unmounts for good (before {@link #close}): afterwards {@link #workLeftovers} must be empty. */
  void unmount() throws IOException;

  /** The errno-level result of opening a file: a handle, or why not. */
  interface FileHandle extends Closeable {
    byte[] readAll() throws IOException;

    /** Writes at offset; returns success or the errno. */
    Outcome write(byte[] data, long offset) throws IOException;

    @Override
    void close() throws IOException;
  }

  /** Opens a regular file (O_RDONLY or O_WRONLY); throws {@link TargetException} with the errno. */
  FileHandle open(String path, boolean write) throws IOException;

  /** An open directory read a few entries at a time, as getdents does. */
  interface DirHandle extends Closeable {
    /** The next few names (empty at the end). */
    List<String> next() throws IOException;

    /** rewinddir: back to offset 0. */
    void rewind() throws IOException;

    @Override
    void close() throws IOException;
  }

  DirHandle openDir(String path) throws IOException;

  /** st_ino of a path (lstat). */
  long ino(String path) throws IOException;

  /** Bytes of file data stored in the upper directory (allocated blocks for host layers). */
  long upperDataBytes() throws IOException;

  /** Bytes of file data the overlay has copied up so far, or -1 where only the layers can tell. */
  long bytesCopiedUp();

  /** A lower file's atime in nanoseconds (host layers only; -1 where not kept). */
  long lowerAtime(int layer, String path) throws IOException;

  /** Sets a lower file's atime (host layers; a no-op where not kept). */
  void setLowerAtime(int layer, String path, long nanos) throws IOException;

  /** An operation refused with an errno, where the harness needs to carry it. */
  final class TargetException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String errno;

    public TargetException(String errno, String what) {
      super(what + ": " + errno);
      this.errno = errno;
    }

    public String errno() {
      return errno;
    }
  }
}
