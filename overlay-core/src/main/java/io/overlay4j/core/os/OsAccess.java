package io.overlay4j.core.os;

import io.overlay4j.core.Stat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The few host calls an overlay needs that the JDK cannot make: {@code trusted.*} xattrs,
 * char-device whiteouts, {@code renameat2} flags, reflink/in-kernel copies, nanosecond times on
 * symlinks, file handles. Everything else in overlay-core goes through {@code java.nio.file}.
 *
 * <p>{@link #system()} is the Linux implementation over glibc (jnr-ffi) when it loads, else a
 * pure-JDK fallback that does what {@code java.nio.file} can and fails the rest with the errno
 * a filesystem without that feature would give. No call follows a final symlink unless it says
 * so.
 *
 * <p>Errors are {@link io.overlay4j.core.OverlayException}s carrying the host errno.
 */
public interface OsAccess {

  /** System property that forces the JDK fallback when set to {@code jdk}. */
  String IMPLEMENTATION_PROPERTY = "overlay4j.os";

  // File type bits of st_mode (identical on every Linux architecture).
  int S_IFMT = 0170000;
  int S_IFSOCK = 0140000;
  int S_IFLNK = 0120000;
  int S_IFREG = 0100000;
  int S_IFBLK = 0060000;
  int S_IFDIR = 0040000;
  int S_IFCHR = 0020000;
  int S_IFIFO = 0010000;

  // renameat2(2) flags.
  int RENAME_NOREPLACE = 1;
  int RENAME_EXCHANGE = 2;
  int RENAME_WHITEOUT = 4;

  /** Pass as a time to {@link #utimens} to leave that time unchanged (UTIME_OMIT). */
  long OMIT_TIME = Long.MIN_VALUE;

  /**
   * The host implementation: native when jnr-ffi can bind glibc on a supported Linux
   * architecture (x86_64, aarch64) and {@code -Doverlay4j.os=jdk} is not set, else the JDK
   * fallback. One instance per JVM.
   */
  static OsAccess system() {
    return Holder.SYSTEM;
  }

  /** The pure-JDK implementation, whatever the host (for tests and embedding). */
  static OsAccess jdk() {
    return Holder.JDK;
  }

  /** glibc's {@code makedev}: the 64-bit dev_t encoding the kernel and {@code stat} use. */
  static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32)
        | ((major & 0x00000fffL) << 8)
        | ((minor & 0xffffff00L) << 12)
        | (minor & 0x000000ffL);
  }

  static long major(long dev) {
    return ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0x00000fffL);
  }

  static long minor(long dev) {
    return ((dev >>> 12) & 0xffffff00L) | (dev & 0x000000ffL);
  }

  /** True for the glibc implementation, false for the JDK fallback. */
  boolean isNative();

  /**
   * The value of extended attribute {@code name} of {@code p} itself ({@code lgetxattr}), or
   * {@code null} when {@code p} has no such attribute (ENODATA).
   */
  byte[] getXattr(Path p, String name) throws IOException;

  /** The names of all extended attributes of {@code p} itself ({@code llistxattr}). */
  List<String> listXattrs(Path p) throws IOException;

  /** {@code getdents64}'s {@code d_type} for "unknown": the caller must stat to know. */
  int DT_UNKNOWN = 0;

  /** A directory entry as getdents reports it: a name and a {@code DT_*} type. */
  record DirectoryEntry(String name, int type) {}

  /**
   * The entries of a directory (not following a symlink at {@code dir}), without {@code .} and
   * {@code ..}, with the type the file system reports so callers need not stat each name.
   */
  List<DirectoryEntry> readDirectory(Path dir) throws IOException;

  /** Creates or replaces an extended attribute of {@code p} itself ({@code lsetxattr}). */
  void setXattr(Path p, String name, byte[] value) throws IOException;

  /** Removes an extended attribute of {@code p} itself; ENODATA when it is absent. */
  void removeXattr(Path p, String name) throws IOException;

  /**
   * {@code mknod(2)}: {@code mode} is type bits ({@link #S_IFCHR}, {@link #S_IFBLK},
   * {@link #S_IFIFO}, {@link #S_IFSOCK}, {@link #S_IFREG}) plus permissions (umask applies);
   * {@code rdev} is a {@link #makedev} value for devices. {@code mknod(p, S_IFCHR, 0)} makes an
   * overlay whiteout.
   */
  void mknod(Path p, int mode, long rdev) throws IOException;

  /**
   * {@code renameat2(2)} with {@link #RENAME_NOREPLACE}, {@link #RENAME_EXCHANGE},
   * {@link #RENAME_WHITEOUT} or 0 (plain {@code rename}, replacing the target).
   */
  void rename(Path from, Path to, int flags) throws IOException;

  /**
   * Creates regular file {@code dst} (mode 0600; it must not exist) and copies all data of
   * regular file {@code src} into it, neither followed if a symlink: reflink first, then
   * {@code copy_file_range}, then read/write. Creating and filling in one open is what a
   * copy-up needs. Copies the size {@code src} had when opened, never past its end of file.
   * Holes are not necessarily preserved.
   *
   * @param fsync whether to fsync {@code dst} before returning
   * @return the method that completed the copy
   */
  CopyMethod copyFileData(Path src, Path dst, boolean fsync) throws IOException;

  /**
   * Sets access and modification time of {@code p} itself (symlinks too) in nanoseconds since
   * the epoch; {@link #OMIT_TIME} leaves one unchanged.
   */
  void utimens(Path p, long atimeNanos, long mtimeNanos) throws IOException;

  /** Changes the owner of {@code p} itself; -1 leaves uid or gid unchanged. */
  void lchown(Path p, int uid, int gid) throws IOException;

  /**
   * Sets the permission bits ({@code mode & 07777}) of {@code p}; does nothing when {@code p}
   * is a symlink (Linux symlinks have no mode of their own).
   */
  void chmod(Path p, int mode) throws IOException;

  /** {@code statvfs(3)} of the filesystem holding {@code p}. */
  StatVfs statVfs(Path p) throws IOException;

  /**
   * {@code name_to_handle_at(2)} of {@code p} itself (a final symlink is not followed), or
   * {@code null} when the filesystem or this implementation cannot encode file handles.
   */
  FileHandle nameToHandle(Path p) throws IOException;

  /**
   * Decodes {@code h} on the filesystem holding {@code anyPathOnSameFs} and returns the inode
   * number it refers to; empty when it cannot (stale handle, not permitted — it needs
   * CAP_DAC_READ_SEARCH — other filesystem, unsupported). Never throws for those.
   */
  Stat statOfHandle(Path anyPathOnSameFs, FileHandle h);

  /**
   * The UUID of the filesystem holding {@code p} ({@code FS_IOC_GETFSUUID}, Linux 6.9+; as long
   * as the filesystem says, usually 16 bytes, possibly all zero), or {@code null} when
   * unsupported. Follows a final symlink.
   */
  byte[] filesystemUuid(Path p) throws IOException;

  /** {@code lstat} of {@code p}, or {@code null} when it does not exist (ENOENT). */
  Stat lstat(Path p) throws IOException;
}

/** Lazy holder: the native library is loaded on first use, once. Package-private. */
final class Holder {
  static final OsAccess JDK = new JdkOsAccess();
  static final OsAccess SYSTEM = choose(System.getProperty(OsAccess.IMPLEMENTATION_PROPERTY));

  private Holder() {}

  /** Tests call this with a property value; a new native binding each time. */
  static OsAccess choose(String wanted) {
    if (wanted != null && wanted.trim().toLowerCase(Locale.ROOT).equals("jdk")) {
      return JDK;
    }
    OsAccess nativeAccess = NativeOsAccess.loadOrNull();
    return nativeAccess != null ? nativeAccess : JDK;
  }
}
