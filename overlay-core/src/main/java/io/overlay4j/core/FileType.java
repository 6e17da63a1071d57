package io.overlay4j.core;

/** The type of a file system object, with its {@code S_IF*} bits and its {@code DT_*} number. */
public enum FileType {
  REGULAR(0100000, 8),
  DIRECTORY(0040000, 4),
  SYMLINK(0120000, 10),
  CHAR_DEVICE(0020000, 2),
  BLOCK_DEVICE(0060000, 6),
  FIFO(0010000, 1),
  SOCKET(0140000, 12);

  /** The mask of the type bits in {@code st_mode}. */
  public static final int S_IFMT = 0170000;

  private final int modeBits;
  private final int direntType;

  FileType(int modeBits, int direntType) {
    this.modeBits = modeBits;
    this.direntType = direntType;
  }

  /** The {@code S_IF*} bits of this type. */
  public int modeBits() {
    return modeBits;
  }

  /** The {@code DT_*} value readdir reports for this type. */
  public int direntType() {
    return direntType;
  }

  /** The type encoded in an {@code st_mode}. */
  public static FileType fromMode(int mode) {
    int bits = mode & S_IFMT;
    for (FileType t : values()) {
      if (t.modeBits == bits) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown file type in mode " + Integer.toOctalString(mode));
  }
}
