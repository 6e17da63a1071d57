package io.overlay4j.core.layer;

import io.overlay4j.core.FileType;
import java.io.IOException;

/**
 * A layer the overlay may change: the upper layer and the work directory. Each call changes
 * exactly one object of this layer and fails with the errno {@code *at(2)} would give.
 */
public interface WritableLayer extends Layer {

  /** {@code renameat2} flag: fail with EEXIST when the target exists. */
  int RENAME_NOREPLACE = 1;
  /** {@code renameat2} flag: atomically swap source and target. */
  int RENAME_EXCHANGE = 2;
  /** {@code renameat2} flag: leave a whiteout (char 0/0) at the source in the same step. */
  int RENAME_WHITEOUT = 4;

  void mkdir(String path, int mode) throws IOException;

  /** Creates an empty regular file; EEXIST when anything is there. */
  void createFile(String path, int mode) throws IOException;

  /**
   * Creates a regular file (exclusively, {@code EEXIST} if the name is taken) and returns it
   * open for reading and writing. Its mode may lack what the process's umask removes: check
   * its {@link #stat}.
   */
  default LayerFile createOpen(String path, int mode) throws IOException {
    createFile(path, mode);
    return open(path, true);
  }

  /** Creates a device, FIFO or socket node. */
  void mknod(String path, FileType type, int mode, long rdev) throws IOException;

  void symlink(String path, String target) throws IOException;

  void link(String existing, String newPath) throws IOException;

  void unlink(String path) throws IOException;

  void rmdir(String path) throws IOException;

  /** {@code renameat2} within this layer. */
  default void rename(String from, String to, int flags) throws IOException {
    renameFrom(this, from, to, flags);
  }

  /**
   * {@code renameat2} of an object of {@code source} (this layer, or another one on the same
   * file system: the work directory) to {@code to} in this layer. Atomic: this is how a
   * copy-up or a whiteout built in the work directory appears in upper all at once.
   */
  void renameFrom(WritableLayer source, String from, String to, int flags) throws IOException;

  void setXattr(String path, String name, byte[] value) throws IOException;

  void removeXattr(String path, String name) throws IOException;

  /** Sets the permission bits (07777). Not applied to symlinks. */
  void chmod(String path, int mode) throws IOException;

  /** Sets owner and group; -1 leaves one as it is. Does not follow symlinks. */
  void chown(String path, int uid, int gid) throws IOException;

  /** Sets access and modification times in epoch nanoseconds; -1 leaves one as it is. */
  void setTimes(String path, long atimeNanos, long mtimeNanos) throws IOException;

  /** Makes a whiteout at {@code path}: a character device 0/0. */
  void makeWhiteout(String path) throws IOException;

  /**
   * Creates the regular file {@code path} (mode 0600; nothing may be there) holding the data of
   * a regular file of another layer, flushed to stable storage when {@code sync}.
   */
  void copyData(Layer from, String fromPath, String path, boolean sync) throws IOException;

  /** Flushes a directory's entries to stable storage (after renaming a copy-up into it). */
  void syncDirectory(String path) throws IOException;
}
