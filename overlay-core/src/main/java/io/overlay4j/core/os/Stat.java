package io.overlay4j.core.os;

/**
 * What {@code lstat} says about a path, without following a final symlink. Times are
 * nanoseconds since the epoch; {@code dev} and {@code rdev} are glibc-encoded
 * ({@link OsAccess#makedev}); {@code mode} includes the file type bits.
 */
public record Stat(
    int mode,
    long ino,
    long dev,
    long rdev,
    int nlink,
    int uid,
    int gid,
    long size,
    long blocks,
    long atimeNanos,
    long mtimeNanos,
    long ctimeNanos) {

  /** The type bits of {@link #mode}, one of the {@code OsAccess.S_IF*} constants. */
  public int type() {
    return mode & OsAccess.S_IFMT;
  }

  /** Permission bits including set-id and sticky bits ({@code mode & 07777}). */
  public int permissions() {
    return mode & 07777;
  }

  public boolean isRegularFile() {
    return type() == OsAccess.S_IFREG;
  }

  public boolean isDirectory() {
    return type() == OsAccess.S_IFDIR;
  }

  public boolean isSymbolicLink() {
    return type() == OsAccess.S_IFLNK;
  }

  public boolean isCharDevice() {
    return type() == OsAccess.S_IFCHR;
  }
}
