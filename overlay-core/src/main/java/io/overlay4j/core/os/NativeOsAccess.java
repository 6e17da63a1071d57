package io.overlay4j.core.os;

import io.overlay4j.core.Stat;

import io.overlay4j.core.Errno;
import io.overlay4j.core.OverlayException;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Memory;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * {@link OsAccess} over glibc through jnr-ffi, for Linux on x86_64 and aarch64.
 *
 * <p>Portability rules kept here: only glibc wrapper functions (syscall numbers differ per
 * architecture), no {@code struct stat} (its layout differs per architecture; {@code statx} has
 * one fixed layout), and the two {@code O_*} flags that differ between x86_64 and aarch64 are
 * chosen per architecture. Struct offsets used below were checked with {@code offsetof} against
 * the glibc 2.36 / Linux UAPI headers on x86_64; the structs involved are either fixed-layout
 * UAPI structs ({@code statx}, {@code file_handle}, {@code fsuuid2}) or made only of 64-bit
 * longs on LP64 ({@code statvfs}, {@code timespec}), so aarch64 is the same.
 *
 * <p>Paths cross as NUL-terminated bytes in {@code sun.jnu.encoding}, the charset the JDK itself
 * uses for file names, so any name {@code java.nio.file} can address is addressed identically.
 */
public final class NativeOsAccess implements OsAccess {

  /**
   * The glibc functions used; errno is saved after every call. Public because jnr-ffi
   * implements it from a class loader of its own; the enclosing class keeps it out of the API.
   * A symbol missing from an old glibc only makes its own method throw UnsatisfiedLinkError.
   */
  public interface LibC {
    @ssize_t long lgetxattr(@In byte[] path, @In byte[] name, Pointer value, @size_t long size);

    @ssize_t long llistxattr(@In byte[] path, Pointer list, @size_t long size);

    int lsetxattr(@In byte[] path, @In byte[] name, @In byte[] value, @size_t long size, int flags);

    int lremovexattr(@In byte[] path, @In byte[] name);

    /** Exported by glibc since 2.33. dev_t is 64-bit. */
    int mknod(@In byte[] path, int mode, long dev);

    /** What glibc before 2.33 exports instead; ver is _MKNOD_VER_LINUX, 0 on x86_64/aarch64. */
    int __xmknod(int ver, @In byte[] path, int mode, Pointer dev);

    int renameat2(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

    /*
     * open and ioctl are variadic in C. They are declared with fixed arguments, as jnr-posix
     * does: for integer and pointer arguments the variadic calling convention is the same as
     * the fixed one on x86_64 and on Linux aarch64 (it differs only on Apple's arm64).
     */
    int open(@In byte[] path, int flags, int mode);

    int ioctl(int fd, long request, long arg);

    int ioctl(int fd, long request, Pointer arg);

    int close(int fd);

    int fsync(int fd);

    @ssize_t long copy_file_range(
        int fdIn, Pointer offIn, int fdOut, Pointer offOut, @size_t long len, int flags);

    @ssize_t long read(int fd, Pointer buf, @size_t long count);

    @ssize_t long write(int fd, Pointer buf, @size_t long count);

    int utimensat(int dirfd, @In byte[] path, Pointer times, int flags);

    int lchown(@In byte[] path, int uid, int gid);

    int fchmodat(int dirfd, @In byte[] path, int mode, int flags);

    /** syscall(2), declared with the four integer/pointer arguments of fchmodat2. */
    long syscall(long number, int dirfd, @In byte[] path, int mode, int flags);

    int statvfs(@In byte[] path, Pointer buf);

    int name_to_handle_at(int dirfd, @In byte[] path, Pointer handle, Pointer mountId, int flags);

    int open_by_handle_at(int mountFd, Pointer handle, int flags);

    int statx(int dirfd, @In byte[] path, int flags, int mask, Pointer buf);

    /** glibc ≥ 2.30. Fills struct linux_dirent64 records: the same layout on every arch. */
    @ssize_t long getdents64(int fd, Pointer buf, @size_t long count);

    String strerror(int errnum);
  }

  // errno values used for control flow (generic Linux numbers, same on every architecture).
  private static final int EINTR = 4;
  private static final int ENOENT = 2;
  private static final int EINVAL = 22;
  private static final int ENOTTY = 25;
  private static final int ERANGE = 34;
  private static final int ENOSYS = 38;
  private static final int ENODATA = 61;
  private static final int EOVERFLOW = 75;
  private static final int EOPNOTSUPP = 95;
  private static final int EXDEV = 18;

  // *at() and statx flags, open flags that are the same on x86_64 and aarch64.
  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final int AT_NO_AUTOMOUNT = 0x800;
  private static final int AT_EMPTY_PATH = 0x1000;
  private static final int O_RDONLY = 0;
  private static final int O_WRONLY = 1;
  private static final int O_CREAT = 0100;
  private static final int O_EXCL = 0200;
  private static final int O_NONBLOCK = 04000;
  private static final int O_CLOEXEC = 02000000;
  private static final int O_PATH = 010000000;
  private static final long UTIME_OMIT = (1L << 30) - 2;

  // ioctl request numbers: generic _IOC encoding (dir<<30 | size<<16 | type<<8 | nr), shared by
  // x86_64 and aarch64.
  /** _IOW(0x94, 9, int). */
  private static final long FICLONE = 0x40049409L;
  /** _IOR(0x15, 0, struct fsuuid2 {u8 len; u8 uuid[16];}) with sizeof = 17. */
  private static final long FS_IOC_GETFSUUID = 0x80111500L;

  /* struct statx (include/uapi/linux/stat.h): fixed layout on every architecture. */
  private static final int STATX_BASIC_STATS = 0x7ff;
  private static final int STATX_MODE = 0x2;
  private static final int STATX_INO = 0x100;
  private static final int STATX_SIZE = 0x200;
  private static final int STATX_BUF_SIZE = 256;
  private static final int STX_NLINK = 16;
  private static final int STX_UID = 20;
  private static final int STX_GID = 24;
  private static final int STX_MODE = 28; // __u16
  private static final int STX_INO = 32;
  private static final int STX_SIZE = 40;
  private static final int STX_BLOCKS = 48;
  private static final int STX_ATIME = 64; // struct statx_timestamp {s64 sec; u32 nsec; s32 pad}
  private static final int STX_CTIME = 96;
  private static final int STX_MTIME = 112;
  private static final int STX_RDEV_MAJOR = 128;
  private static final int STX_RDEV_MINOR = 132;
  private static final int STX_DEV_MAJOR = 136;
  private static final int STX_DEV_MINOR = 140;

  /* struct file_handle {u32 handle_bytes; int handle_type; unsigned char f_handle[];}. */
  private static final int MAX_HANDLE_SZ = 128;
  private static final int FH_HEADER = 8;

  /** Per-thread scratch memory: statx buffer, xattr values, timespecs, handles. */
  private static final int SCRATCH_SIZE = 4096;

  private static final int COPY_CHUNK = 1 << 30;
  private static final int RW_BUFFER = 256 * 1024;

  private static final System.Logger LOG = System.getLogger(NativeOsAccess.class.getName());

  private final LibC libc;
  private final Runtime runtime;
  private final Charset pathCharset;
  private final int oDirectory;
  private final int oNofollow;
  private final ThreadLocal<Pointer> scratch;
  private static final long SYS_FCHMODAT2 = 452;
  /** Until the kernel says ENOSYS. */
  private volatile boolean fchmodat2 = true;

  private NativeOsAccess(LibC libc, int oDirectory, int oNofollow) {
    this.libc = libc;
    this.runtime = Runtime.getRuntime(libc);
    this.pathCharset = jnuCharset();
    this.oDirectory = oDirectory;
    this.oNofollow = oNofollow;
    this.scratch = ThreadLocal.withInitial(() -> Memory.allocateDirect(runtime, SCRATCH_SIZE));
    this.direntBuffer = ThreadLocal.withInitial(
        () -> Memory.allocateDirect(runtime, DIRENT_BUFFER));
  }

  /** Binds glibc, or returns null (with the reason logged) when that is not possible here. */
  static NativeOsAccess loadOrNull() {
    String os = System.getProperty("os.name", "");
    String arch = System.getProperty("os.arch", "");
    int oDirectory;
    int oNofollow;
    switch (arch) {
      case "amd64", "x86_64" -> {
        oDirectory = 0200000;
        oNofollow = 0400000;
      }
      case "aarch64", "arm64" -> {
        oDirectory = 040000;
        oNofollow = 0100000;
      }
      default -> {
        LOG.log(System.Logger.Level.DEBUG, "overlay4j: no native OS access on {0}", arch);
        return null;
      }
    }
    if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
      LOG.log(System.Logger.Level.DEBUG, "overlay4j: no native OS access on {0}", os);
      return null;
    }
    try {
      LibC libc =
          LibraryLoader.create(LibC.class)
              .option(LibraryOption.SaveError, Boolean.TRUE)
              .load(Platform.getNativePlatform().getStandardCLibraryName());
      NativeOsAccess access = new NativeOsAccess(libc, oDirectory, oNofollow);
      access.probe();
      return access;
    } catch (Throwable t) { // LinkageError from jffi, or a missing symbol on an old glibc
      LOG.log(System.Logger.Level.WARNING, "overlay4j: cannot bind libc, using the JDK: " + t);
      return null;
    }
  }

  /** Fails early when the binding is unusable, rather than on the first real call. */
  private void probe() throws IOException {
    if (lstat(Path.of("/")) == null) {
      throw new IOException("statx of / found nothing");
    }
  }

  @Override
  public boolean isNative() {
    return true;
  }

  // ---- xattrs

  @Override
  public byte[] getXattr(Path p, String name) throws IOException {
    byte[] path = cpath(p);
    byte[] cname = cstring(name);
    Pointer buf = scratch.get();
    long n = libc.lgetxattr(path, cname, buf, SCRATCH_SIZE);
    while (n < 0) {
      int errno = errno();
      if (errno == ENODATA) {
        return null;
      }
      if (errno != ERANGE) {
        throw error(errno, p, "lgetxattr " + name);
      }
      // Larger than the scratch buffer: ask for the size, then read into a buffer that big.
      // The value may grow in between; then ERANGE again and another round.
      long size = libc.lgetxattr(path, cname, null, 0);
      if (size < 0) {
        int e = errno();
        if (e == ENODATA) {
          return null;
        }
        throw error(e, p, "lgetxattr " + name);
      }
      long capacity = Math.max(1, size); // size 0 would only ask for the size again
      buf = Memory.allocateDirect(runtime, capacity);
      n = libc.lgetxattr(path, cname, buf, capacity);
    }
    byte[] value = new byte[(int) n];
    buf.get(0, value, 0, value.length);
    return value;
  }

  @Override
  public List<String> listXattrs(Path p) throws IOException {
    byte[] path = cpath(p);
    Pointer buf = scratch.get();
    long n = libc.llistxattr(path, buf, SCRATCH_SIZE);
    while (n < 0) {
      int errno = errno();
      if (errno != ERANGE) {
        throw error(errno, p, "llistxattr");
      }
      long size = libc.llistxattr(path, null, 0);
      if (size < 0) {
        throw error(errno(), p, "llistxattr");
      }
      long capacity = Math.max(1, size);
      buf = Memory.allocateDirect(runtime, capacity);
      n = libc.llistxattr(path, buf, capacity);
    }
    // The list is NUL-terminated names back to back.
    byte[] names = new byte[(int) n];
    buf.get(0, names, 0, names.length);
    List<String> result = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < names.length; i++) {
      if (names[i] == 0) {
        if (i > start) {
          result.add(new String(names, start, i - start, StandardCharsets.UTF_8));
        }
        start = i + 1;
      }
    }
    return result;
  }

  @Override
  public void setXattr(Path p, String name, byte[] value) throws IOException {
    if (libc.lsetxattr(cpath(p), cstring(name), value, value.length, 0) != 0) {
      throw error(errno(), p, "lsetxattr " + name);
    }
  }

  @Override
  public void removeXattr(Path p, String name) throws IOException {
    if (libc.lremovexattr(cpath(p), cstring(name)) != 0) {
      throw error(errno(), p, "lremovexattr " + name);
    }
  }

  // ---- namespace

  @Override
  public void mknod(Path p, int mode, long rdev) throws IOException {
    int rc;
    try {
      rc = libc.mknod(cpath(p), mode, rdev);
    } catch (UnsatisfiedLinkError oldGlibc) {
      rc = xmknod(p, mode, rdev);
    }
    if (rc != 0) {
      throw error(errno(), p, "mknod");
    }
  }

  /** mknod through glibc's pre-2.33 entry point (still exported as a compat symbol later). */
  int xmknod(Path p, int mode, long rdev) {
    Pointer dev = scratch.get();
    dev.putLong(0, rdev);
    return libc.__xmknod(0, cpath(p), mode, dev);
  }

  @Override
  public void rename(Path from, Path to, int flags) throws IOException {
    if (libc.renameat2(AT_FDCWD, cpath(from), AT_FDCWD, cpath(to), flags) != 0) {
      int errno = errno();
      // The kernel does not say which side failed; name the target for EEXIST, else the source.
      Path blamed = errno == Errno.EEXIST.number() ? to : from;
      throw error(errno, blamed, "renameat2 " + from + " -> " + to + " flags=" + flags);
    }
  }

  // ---- data

  @Override
  public CopyMethod copyFileData(Path src, Path dst, boolean fsync) throws IOException {
    int in = -1;
    int out = -1;
    try {
      // O_NONBLOCK so that a FIFO swapped in for src/dst cannot hang the open; no effect on
      // regular files, and the type is checked right after.
      in = open(src, O_RDONLY | oNofollow | O_NONBLOCK | O_CLOEXEC, "open source");
      long size = requireRegular(in, src);
      out = libc.open(cpath(dst), O_WRONLY | O_CREAT | O_EXCL | oNofollow | O_CLOEXEC, 0600);
      if (out < 0) {
        throw error(errno(), dst, "create target");
      }

      CopyMethod method = copy(in, out, size, src, dst);
      if (fsync && libc.fsync(out) != 0) {
        throw error(errno(), dst, "fsync");
      }
      int fd = out;
      out = -1;
      if (libc.close(fd) != 0) { // a deferred write error (NFS, quota) surfaces here
        throw error(errno(), dst, "close");
      }
      return method;
    } finally {
      closeQuietly(in);
      closeQuietly(out);
    }
  }

  private CopyMethod copy(int in, int out, long size, Path src, Path dst) throws IOException {
    // 1. A reflink shares extents: instant, and no extra space. Any failure just means "not
    //    here" (EOPNOTSUPP on ext4, EXDEV across filesystems, EINVAL for unaligned...).
    if (size > 0 && libc.ioctl(out, FICLONE, (long) in) == 0) {
      return CopyMethod.CLONE;
    }
    // 2. copy_file_range with NULL offsets advances both file offsets, so a fallback below
    //    continues exactly where it stopped.
    long remaining = size;
    boolean rangeWorks = true;
    while (remaining > 0) {
      long n = libc.copy_file_range(in, null, out, null, Math.min(remaining, COPY_CHUNK), 0);
      if (n > 0) {
        remaining -= n;
      } else if (n == 0) {
        return CopyMethod.COPY_FILE_RANGE; // src shrank: stop at its end of file
      } else {
        int errno = errno();
        if (errno == EINTR) {
          continue;
        }
        if (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL) {
          rangeWorks = false;
          break;
        }
        throw error(errno, src, "copy_file_range to " + dst);
      }
    }
    if (rangeWorks) {
      return CopyMethod.COPY_FILE_RANGE;
    }
    // 3. Through user space.
    Pointer buf = Memory.allocateDirect(runtime, RW_BUFFER);
    while (remaining > 0) {
      long n = libc.read(in, buf, Math.min(remaining, RW_BUFFER));
      if (n < 0) {
        int errno = errno();
        if (errno == EINTR) {
          continue;
        }
        throw error(errno, src, "read");
      }
      if (n == 0) {
        break;
      }
      long written = 0;
      while (written < n) {
        long w = libc.write(out, buf.slice(written), n - written);
        if (w < 0) {
          int errno = errno();
          if (errno == EINTR) {
            continue;
          }
          throw error(errno, dst, "write");
        }
        written += w;
      }
      remaining -= n;
    }
    return CopyMethod.READ_WRITE;
  }

  /** The size of the open file, or EINVAL when it is not a regular file. */
  private long requireRegular(int fd, Path p) throws IOException {
    Pointer buf = scratch.get();
    if (libc.statx(fd, EMPTY, AT_EMPTY_PATH, STATX_MODE | STATX_SIZE, buf) != 0) {
      throw error(errno(), p, "statx");
    }
    if ((buf.getShort(STX_MODE) & S_IFMT) != S_IFREG) {
      throw new OverlayException(Errno.EINVAL, p.toString(), "copyFileData: not a regular file");
    }
    return buf.getLong(STX_SIZE);
  }

  // ---- attributes

  @Override
  public void utimens(Path p, long atimeNanos, long mtimeNanos) throws IOException {
    Pointer times = scratch.get(); // struct timespec[2] {long tv_sec; long tv_nsec;}
    putTimespec(times, 0, atimeNanos);
    putTimespec(times, 16, mtimeNanos);
    if (libc.utimensat(AT_FDCWD, cpath(p), times, AT_SYMLINK_NOFOLLOW) != 0) {
      throw error(errno(), p, "utimensat");
    }
  }

  private static void putTimespec(Pointer buf, int offset, long nanos) {
    if (nanos == OMIT_TIME) {
      buf.putLong(offset, 0);
      buf.putLong(offset + 8, UTIME_OMIT);
    } else {
      buf.putLong(offset, Math.floorDiv(nanos, 1_000_000_000L));
      buf.putLong(offset + 8, Math.floorMod(nanos, 1_000_000_000L));
    }
  }

  @Override
  public void lchown(Path p, int uid, int gid) throws IOException {
    if (libc.lchown(cpath(p), uid, gid) != 0) {
      throw error(errno(), p, "lchown");
    }
  }

  @Override
  public void chmod(Path p, int mode) throws IOException {
    byte[] path = cpath(p);
    // fchmodat2 (Linux 6.6, the same number on every architecture) does AT_SYMLINK_NOFOLLOW in
    // one call; glibc's fchmodat emulates it with open(O_PATH), fstat and a chmod through
    // /proc/self/fd (4 calls). Any failure falls back to the path below, which gives the errno.
    if (fchmodat2) {
      if (libc.syscall(SYS_FCHMODAT2, AT_FDCWD, path, mode & 07777, AT_SYMLINK_NOFOLLOW) == 0) {
        return;
      }
      if (errno() == ENOSYS) {
        fchmodat2 = false;
      }
    }
    // glibc >= 2.32 implements AT_SYMLINK_NOFOLLOW for non-symlinks (via O_PATH) and answers
    // EOPNOTSUPP for symlinks; older ones answer EOPNOTSUPP always. On EOPNOTSUPP look at the
    // type ourselves: skip symlinks, chmod anything else through the path.
    if (libc.fchmodat(AT_FDCWD, path, mode & 07777, AT_SYMLINK_NOFOLLOW) == 0) {
      return;
    }
    int errno = errno();
    if (errno != EOPNOTSUPP) {
      throw error(errno, p, "fchmodat");
    }
    Stat st = lstat(p);
    if (st == null) {
      throw new OverlayException(Errno.ENOENT, p.toString(), "fchmodat");
    }
    if (st.isSymlink()) {
      return;
    }
    if (libc.fchmodat(AT_FDCWD, path, mode & 07777, 0) != 0) {
      throw error(errno(), p, "fchmodat");
    }
  }

  @Override
  public StatVfs statVfs(Path p) throws IOException {
    Pointer buf = scratch.get();
    if (libc.statvfs(cpath(p), buf) != 0) {
      throw error(errno(), p, "statvfs");
    }
    // glibc struct statvfs on LP64: f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files,
    // f_ffree, f_favail, f_fsid, f_flag, f_namemax, int __f_spare[6] — 8 bytes each up to
    // f_namemax (the 32-bit-only __f_unused is absent); 112 bytes in all.
    return new StatVfs(
        buf.getLong(0),
        buf.getLong(8),
        buf.getLong(16),
        buf.getLong(24),
        buf.getLong(32),
        buf.getLong(40),
        buf.getLong(48),
        buf.getLong(80));
  }

  // ---- file handles and filesystem identity

  @Override
  public FileHandle nameToHandle(Path p) throws IOException {
    byte[] path = cpath(p);
    Pointer buf = scratch.get();
    int capacity = MAX_HANDLE_SZ;
    int mountIdOffset = 2048; // after any handle that fits the scratch buffer
    while (true) {
      Pointer handle = capacity <= mountIdOffset - FH_HEADER
          ? buf
          : Memory.allocateDirect(runtime, FH_HEADER + capacity);
      handle.putInt(0, capacity);
      if (libc.name_to_handle_at(AT_FDCWD, path, handle, buf.slice(mountIdOffset), 0) == 0) {
        int bytes = handle.getInt(0);
        byte[] fid = new byte[bytes];
        handle.get(FH_HEADER, fid, 0, bytes);
        return new FileHandle(handle.getInt(4), fid, buf.getInt(mountIdOffset));
      }
      int errno = errno();
      if (errno == EOVERFLOW && handle.getInt(0) > capacity) {
        capacity = handle.getInt(0); // the kernel wrote the size it needs
        continue;
      }
      if (errno == EOPNOTSUPP || errno == ENOSYS) {
        return null;
      }
      throw error(errno, p, "name_to_handle_at");
    }
  }

  @Override
  public Stat statOfHandle(Path anyPathOnSameFs, FileHandle h) {
    byte[] fid = h.fid();
    Pointer handle = Memory.allocateDirect(runtime, FH_HEADER + fid.length);
    handle.putInt(0, fid.length);
    handle.putInt(4, h.type());
    handle.put(FH_HEADER, fid, 0, fid.length);
    int mountFd = -1;
    int fd = -1;
    try {
      // The mount fd must be a real open file (not O_PATH); a directory opens read-only
      // without side effects, so use the path if it is one, else its parent.
      Path dir = anyPathOnSameFs;
      Stat st = lstat(dir);
      if (st == null) {
        return null;
      }
      if (!st.isDirectory()) {
        dir = dir.toAbsolutePath().getParent();
      }
      mountFd = libc.open(cpath(dir), O_RDONLY | oDirectory | O_CLOEXEC, 0);
      if (mountFd < 0) {
        return null;
      }
      fd = libc.open_by_handle_at(mountFd, handle, O_PATH | O_CLOEXEC);
      if (fd < 0) {
        return null;
      }
      Pointer buf = scratch.get();
      if (libc.statx(fd, EMPTY, AT_EMPTY_PATH, STATX_BASIC_STATS, buf) != 0) {
        return null;
      }
      return statFrom(buf);
    } catch (IOException e) {
      return null;
    } finally {
      closeQuietly(fd);
      closeQuietly(mountFd);
    }
  }

  @Override
  public byte[] filesystemUuid(Path p) throws IOException {
    int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC, "open");
    try {
      Pointer buf = scratch.get(); // struct fsuuid2 {u8 len; u8 uuid[16];}
      buf.putByte(0, (byte) 0);
      if (libc.ioctl(fd, FS_IOC_GETFSUUID, buf) != 0) {
        int errno = errno();
        if (errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS) {
          return null;
        }
        throw error(errno, p, "ioctl FS_IOC_GETFSUUID");
      }
      int len = Math.min(16, buf.getByte(0) & 0xff);
      if (len == 0) {
        return null;
      }
      byte[] uuid = new byte[len];
      buf.get(1, uuid, 0, len);
      return uuid;
    } finally {
      closeQuietly(fd);
    }
  }

  // ---- stat

  @Override
  public Stat lstat(Path p) throws IOException {
    Pointer b = scratch.get();
    // AT_NO_AUTOMOUNT: what lstat(2)/fstatat(2) imply and statx does not.
    int flags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT;
    if (libc.statx(AT_FDCWD, cpath(p), flags, STATX_BASIC_STATS, b) != 0) {
      int errno = errno();
      if (errno == ENOENT) {
        return null;
      }
      throw error(errno, p, "statx");
    }
    return statFrom(b);
  }

  /**
   * {@link #lstat(Path)} of {@code dir/rel} ({@code dir} itself when {@code rel} is empty)
   * without making a {@link Path}: the C string is built straight from the two strings, which
   * spares a lookup the JDK's path parsing and normalization per layer.
   */
  public Stat lstat(String dir, String rel) throws IOException {
    byte[] path = cpath(dir, rel);
    if (path == null) {
      return lstat(rel.isEmpty() ? Path.of(dir) : Path.of(dir, rel));
    }
    Pointer b = scratch.get();
    if (libc.statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, b)
        != 0) {
      int errno = errno();
      if (errno == ENOENT) {
        return null;
      }
      throw error(errno, rel.isEmpty() ? Path.of(dir) : Path.of(dir, rel), "statx");
    }
    return statFrom(b);
  }

  /** {@link #listXattrs(Path)} of {@code dir/rel}, as {@link #lstat(String, String)} builds it. */
  public List<String> listXattrs(String dir, String rel) throws IOException {
    byte[] path = cpath(dir, rel);
    if (path == null) {
      return listXattrs(rel.isEmpty() ? Path.of(dir) : Path.of(dir, rel));
    }
    long n = libc.llistxattr(path, scratch.get(), SCRATCH_SIZE);
    if (n == 0) {
      return List.of(); // the common case: no xattrs at all
    }
    return listXattrs(rel.isEmpty() ? Path.of(dir) : Path.of(dir, rel));
  }

  /** {@code dir + "/" + rel} as a C string when both are ASCII, else null. */
  private static byte[] cpath(String dir, String rel) {
    int d = dir.length();
    int r = rel.length();
    byte[] b = new byte[r == 0 ? d + 1 : d + 1 + r + 1];
    for (int i = 0; i < d; i++) {
      char c = dir.charAt(i);
      if (c >= 0x80 || c == 0) {
        return null;
      }
      b[i] = (byte) c;
    }
    if (r > 0) {
      b[d] = '/';
      for (int i = 0; i < r; i++) {
        char c = rel.charAt(i);
        if (c >= 0x80 || c == 0) {
          return null;
        }
        b[d + 1 + i] = (byte) c;
      }
    }
    return b;
  }

  private static Stat statFrom(Pointer b) {
    return Stat.ofMode(
        b.getShort(STX_MODE) & 0xffff,
        b.getLong(STX_INO),
        OsAccess.makedev(b.getInt(STX_DEV_MAJOR) & 0xffffffffL, b.getInt(STX_DEV_MINOR) & 0xffffffffL),
        OsAccess.makedev(b.getInt(STX_RDEV_MAJOR) & 0xffffffffL, b.getInt(STX_RDEV_MINOR) & 0xffffffffL),
        b.getInt(STX_NLINK),
        b.getInt(STX_UID),
        b.getInt(STX_GID),
        b.getLong(STX_SIZE),
        b.getLong(STX_BLOCKS),
        nanos(b, STX_ATIME),
        nanos(b, STX_MTIME),
        nanos(b, STX_CTIME));
  }

  private static long nanos(Pointer b, int offset) {
    return b.getLong(offset) * 1_000_000_000L + (b.getInt(offset + 8) & 0xffffffffL);
  }

  // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[].
  private static final int DIRENT_RECLEN = 16;
  private static final int DIRENT_TYPE = 18;
  private static final int DIRENT_NAME = 19;
  private static final int DIRENT_BUFFER = 1 << 16;
  private final ThreadLocal<Pointer> direntBuffer;

  @Override
  public List<DirectoryEntry> readDirectory(Path dir) throws IOException {
    int fd = open(dir, O_RDONLY | oDirectory | oNofollow | O_CLOEXEC, "open directory");
    try {
      Pointer buf = direntBuffer.get();
      List<DirectoryEntry> out = new java.util.ArrayList<>();
      byte[] name = new byte[256];
      for (;;) {
        long n = libc.getdents64(fd, buf, DIRENT_BUFFER);
        if (n < 0) {
          throw error(errno(), dir, "getdents64");
        }
        if (n == 0) {
          return out;
        }
        for (int off = 0; off < n; off += buf.getShort(off + DIRENT_RECLEN) & 0xffff) {
          int len = 0;
          while (buf.getByte(off + DIRENT_NAME + len) != 0) {
            len++;
          }
          if (len > name.length) {
            name = new byte[len];
          }
          buf.get(off + DIRENT_NAME, name, 0, len);
          if (len == 1 && name[0] == '.' || len == 2 && name[0] == '.' && name[1] == '.') {
            continue;
          }
          String decoded = new String(name, 0, len, pathCharset);
          if (!roundTrips(decoded, name, len)) {
            continue; // a name the JDK cannot represent is not listed (README "Mounting")
          }
          out.add(new DirectoryEntry(decoded, buf.getByte(off + DIRENT_TYPE) & 0xff));
        }
      }
    } finally {
      libc.close(fd);
    }
  }

  // ---- plumbing

  /** Whether {@code name[0..len)} decodes to {@code decoded} and back to the same bytes. */
  private boolean roundTrips(String decoded, byte[] name, int len) {
    for (int i = 0; i < len; i++) {
      if (name[i] < 0) { // not ASCII: the slow check
        byte[] again = decoded.getBytes(pathCharset);
        return Arrays.equals(again, 0, again.length, name, 0, len);
      }
    }
    return true;
  }

  private static final byte[] EMPTY = {0};

  private int open(Path p, int flags, String what) throws IOException {
    int fd = libc.open(cpath(p), flags, 0);
    if (fd < 0) {
      throw error(errno(), p, what);
    }
    return fd;
  }

  private void closeQuietly(int fd) {
    if (fd >= 0) {
      libc.close(fd);
    }
  }

  private int errno() {
    return LastError.getLastError(runtime);
  }

  private OverlayException error(int errno, Path p, String call) {
    String text;
    try {
      text = libc.strerror(errno);
    } catch (RuntimeException e) {
      text = null;
    }
    Errno e = Errno.of(errno);
    String message = call + ": " + (text != null ? text : "errno " + errno);
    if (e.number() != errno) { // not one the enum names; keep the real number visible
      message += " (errno " + errno + ")";
    }
    return new OverlayException(e, p.toString(), message);
  }

  /** The path as the JDK would pass it to the kernel, NUL-terminated. */
  private byte[] cpath(Path p) {
    String s = p.toString();
    int n = s.length();
    byte[] b = new byte[n + 1];
    for (int i = 0; i < n; i++) { // ASCII fast path: no encoder, one allocation
      char c = s.charAt(i);
      if (c >= 0x80) {
        return cstring(s, pathCharset);
      }
      b[i] = (byte) c;
    }
    return b;
  }

  private static byte[] cstring(String s) {
    return cstring(s, StandardCharsets.UTF_8);
  }

  private static byte[] cstring(String s, Charset cs) {
    byte[] raw = s.getBytes(cs);
    byte[] b = new byte[raw.length + 1];
    System.arraycopy(raw, 0, b, 0, raw.length);
    return b;
  }

  private static Charset jnuCharset() {
    String name = System.getProperty("sun.jnu.encoding");
    try {
      return name != null ? Charset.forName(name) : Charset.defaultCharset();
    } catch (RuntimeException e) {
      return Charset.defaultCharset();
    }
  }
}
