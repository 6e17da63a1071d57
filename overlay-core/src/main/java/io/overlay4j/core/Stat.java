package io.overlay4j.core;

/**
 * The attributes of one object, as {@code lstat(2)} reports them. Times are nanoseconds since
 * the epoch. {@code mode} holds the permission bits only (07777); {@link #stMode()} adds the
 * type bits.
 */
public record Stat(
    FileType type,
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

  public Stat {
    if (type == null) {
      throw new NullPointerException("type");
    }
    mode &= 07777;
  }

  /** Builds a Stat from a full {@code st_mode} (type and permission bits). */
  public static Stat ofMode(int stMode, long ino, long dev, long rdev, int nlink, int uid, int gid,
      long size, long blocks, long atimeNanos, long mtimeNanos, long ctimeNanos) {
    return new Stat(FileType.fromMode(stMode), stMode & 07777, ino, dev, rdev, nlink, uid, gid,
        size, blocks, atimeNanos, mtimeNanos, ctimeNanos);
  }

  /** {@code st_mode}: type bits and permission bits. */
  public int stMode() {
    return type.modeBits() | mode;
  }

  public boolean isDirectory() {
    return type == FileType.DIRECTORY;
  }

  public boolean isRegularFile() {
    return type == FileType.REGULAR;
  }

  public boolean isSymlink() {
    return type == FileType.SYMLINK;
  }

  /** The same attributes with another inode number, device and link count. */
  public Stat withIdentity(long newIno, long newDev, int newNlink) {
    return new Stat(type, mode, newIno, newDev, rdev, newNlink, uid, gid, size, blocks,
        atimeNanos, mtimeNanos, ctimeNanos);
  }
}
