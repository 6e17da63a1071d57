package io.overlay4j.spec.conformance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * The system calls the conformance suite makes on a mounted overlay (and on layer directories),
 * through glibc with jnr-ffi, each returning 0 or the positive errno it failed with. The JDK
 * cannot make several of them (renameat2 flags, mknod, trusted.* xattrs, getdents64 with a
 * small buffer, utimensat on a symlink) and reports errors of the others only as exception
 * types; a conformance test must see the exact errno.
 *
 * <p>Flags used are those that x86_64 and aarch64 share; getdents64's syscall number is chosen
 * per architecture.
 */
public final class Posix {
  /** The glibc functions used. Public because jnr-ffi implements it in a class loader of its own. */
  public interface LibC {
    int open(@In byte[] path, int flags, int mode);

    int close(int fd);

    @ssize_t long pwrite(int fd, @In byte[] buf, @size_t long count, long offset);

    @ssize_t long write(int fd, @In byte[] buf, @size_t long count);

    @ssize_t long pread(int fd, Pointer buf, @size_t long count, long offset);

    long lseek(int fd, long offset, int whence);

    int ftruncate(int fd, long length);

    int truncate(@In byte[] path, long length);

    int mkdir(@In byte[] path, int mode);

    int rmdir(@In byte[] path);

    int unlink(@In byte[] path);

    int renameat2(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

    int link(@In byte[] oldpath, @In byte[] newpath);

    int symlink(@In byte[] target, @In byte[] linkpath);

    int chmod(@In byte[] path, int mode);

    int lchown(@In byte[] path, int uid, int gid);

    int utimensat(int dirfd, @In byte[] path, @In long[] times, int flags);

    int lsetxattr(@In byte[] path, @In byte[] name, @In byte[] value, @size_t long size, int flags);

    int lremovexattr(@In byte[] path, @In byte[] name);

    @ssize_t long lgetxattr(@In byte[] path, @In byte[] name, Pointer value, @size_t long size);

    @ssize_t long llistxattr(@In byte[] path, Pointer list, @size_t long size);

    int mknod(@In byte[] path, int mode, long dev);

    int umask(int mask);

    long syscall(long number, long a, Pointer b, long c);
  }

  public static final int O_RDONLY = 0;
  public static final int O_WRONLY = 1;
  public static final int O_RDWR = 2;
  public static final int O_CREAT = 0100;
  public static final int O_EXCL = 0200;
  public static final int O_TRUNC = 01000;
  public static final int O_APPEND = 02000;
  public static final int O_NONBLOCK = 04000;
  public static final int O_CLOEXEC = 02000000;
  public static final int AT_FDCWD = -100;
  public static final int AT_SYMLINK_NOFOLLOW = 0x100;
  public static final long UTIME_OMIT = (1L << 30) - 2;
  public static final int S_IFIFO = 0010000;
  public static final int S_IFCHR = 0020000;

  private static final Posix INSTANCE = load();

  private final LibC libc;
  private final Runtime runtime;
  private final int oDirectory;
  private final long getdents64;

  private Posix(LibC libc, int oDirectory, long getdents64) {
    this.libc = libc;
    this.runtime = Runtime.getRuntime(libc);
    this.oDirectory = oDirectory;
    this.getdents64 = getdents64;
  }

  /** The binding; throws with the reason when glibc cannot be bound here. */
  public static Posix get() {
    if (INSTANCE == null) {
      throw new IllegalStateException("cannot bind glibc with jnr-ffi on "
          + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
    }
    return INSTANCE;
  }

  /** Whether glibc could be bound (Linux on x86_64 or aarch64). */
  public static boolean available() {
    return INSTANCE != null;
  }

  private static Posix load() {
    String arch = System.getProperty("os.arch", "");
    int oDirectory;
    long getdents;
    switch (arch) {
      case "amd64", "x86_64" -> {
        oDirectory = 0200000;
        getdents = 217;
      }
      case "aarch64", "arm64" -> {
        oDirectory = 040000;
        getdents = 61;
      }
      default -> {
        return null;
      }
    }
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
      return null;
    }
    try {
      LibC libc = LibraryLoader.create(LibC.class).option(LibraryOption.SaveError, Boolean.TRUE)
          .load(Platform.getNativePlatform().getStandardCLibraryName());
      return new Posix(libc, oDirectory, getdents);
    } catch (Throwable t) {
      return null;
    }
  }

  static byte[] c(Path p) {
    return c(p.toString());
  }

  static byte[] c(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[b.length + 1];
    System.arraycopy(b, 0, out, 0, b.length);
    return out;
  }

  private int errno() {
    return LastError.getLastError(runtime);
  }

  private int rc(long r) {
    return r < 0 ? errno() : 0;
  }

  // ---- one call each: 0 or errno ----

  public int mkdir(Path p, int mode) {
    return rc(libc.mkdir(c(p), mode));
  }

  public int rmdir(Path p) {
    return rc(libc.rmdir(c(p)));
  }

  public int unlink(Path p) {
    return rc(libc.unlink(c(p)));
  }

  public int rename(Path from, Path to, int flags) {
    return rc(libc.renameat2(AT_FDCWD, c(from), AT_FDCWD, c(to), flags));
  }

  public int link(Path existing, Path newPath) {
    return rc(libc.link(c(existing), c(newPath)));
  }

  public int symlink(String target, Path p) {
    return rc(libc.symlink(c(target), c(p)));
  }

  public int chmod(Path p, int mode) {
    return rc(libc.chmod(c(p), mode));
  }

  public int lchown(Path p, int uid, int gid) {
    return rc(libc.lchown(c(p), uid, gid));
  }

  /** Sets the modification time (atime left), not following a last symlink. */
  public int setMtime(Path p, long mtimeNanos) {
    long[] times = {0, UTIME_OMIT, mtimeNanos / 1_000_000_000L, mtimeNanos % 1_000_000_000L};
    return rc(libc.utimensat(AT_FDCWD, c(p), times, AT_SYMLINK_NOFOLLOW));
  }

  public int setxattr(Path p, String name, byte[] value, int flags) {
    return rc(libc.lsetxattr(c(p), c(name), value, value.length, flags));
  }

  public int removexattr(Path p, String name) {
    return rc(libc.lremovexattr(c(p), c(name)));
  }

  public int mknod(Path p, int mode, long dev) {
    return rc(libc.mknod(c(p), mode, dev));
  }

  public int truncate(Path p, long size) {
    return rc(libc.truncate(c(p), size));
  }

  /** Sets this process's umask, returning the old one. */
  public int umask(int mask) {
    return libc.umask(mask);
  }

  /** An extended attribute's value (null when absent), not following a last symlink. */
  public byte[] getxattr(Path p, String name) {
    Pointer buf = Memory.allocateDirect(runtime, 65536);
    long n = libc.lgetxattr(c(p), c(name), buf, 65536);
    if (n < 0) {
      return null;
    }
    byte[] out = new byte[(int) n];
    buf.get(0, out, 0, out.length);
    return out;
  }

  /** The names of a file's extended attributes; throws with the errno when they cannot be read. */
  public List<String> listxattr(Path p) throws ErrnoException {
    Pointer buf = Memory.allocateDirect(runtime, 65536);
    long n = libc.llistxattr(c(p), buf, 65536);
    if (n < 0) {
      throw new ErrnoException(errno(), "llistxattr " + p);
    }
    byte[] raw = new byte[(int) n];
    buf.get(0, raw, 0, raw.length);
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == 0) {
        if (i > start) {
          names.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
        }
        start = i + 1;
      }
    }
    return names;
  }

  // ---- file descriptors ----

  /** open(2): the descriptor, or minus the errno. */
  public int open(Path p, int flags, int mode) {
    int fd = libc.open(c(p), flags | O_CLOEXEC, mode);
    return fd < 0 ? -errno() : fd;
  }

  /** Opens a directory for {@link #getdents}: the descriptor, or minus the errno. */
  public int openDirectory(Path p) {
    return open(p, O_RDONLY | oDirectory, 0);
  }

  public int close(int fd) {
    return rc(libc.close(fd));
  }

  /** Writes all of {@code data} at {@code offset} (or at the end with O_APPEND and offset -1). */
  public int write(int fd, byte[] data, long offset) {
    long done = 0;
    while (done < data.length) {
      byte[] rest = done == 0 ? data : java.util.Arrays.copyOfRange(data, (int) done, data.length);
      long n = offset < 0 ? libc.write(fd, rest, rest.length)
          : libc.pwrite(fd, rest, rest.length, offset + done);
      if (n < 0) {
        return errno();
      }
      done += n;
    }
    return 0;
  }

  /** Reads the whole file from offset 0 through the descriptor; throws on error. */
  public byte[] readAll(int fd) throws ErrnoException {
    Pointer buf = Memory.allocateDirect(runtime, 65536);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    long pos = 0;
    while (true) {
      long n = libc.pread(fd, buf, 65536, pos);
      if (n < 0) {
        throw new ErrnoException(errno(), "pread");
      }
      if (n == 0) {
        return out.toByteArray();
      }
      byte[] b = new byte[(int) n];
      buf.get(0, b, 0, b.length);
      out.write(b, 0, b.length);
      pos += n;
    }
  }

  public int ftruncate(int fd, long size) {
    return rc(libc.ftruncate(fd, size));
  }

  /** lseek(2) to the start: a rewinddir for {@link #getdents}. */
  public int rewind(int fd) {
    return rc(libc.lseek(fd, 0, 0));
  }

  /**
   * One getdents64(2) call with a buffer of {@code bufferSize} bytes: the names it returned
   * (empty at the end of the directory). A small buffer returns a few entries per call, so a
   * test can interleave reading a directory with changing it.
   */
  public List<String> getdents(int fd, int bufferSize) throws ErrnoException {
    Pointer buf = Memory.allocateDirect(runtime, bufferSize);
    long n = libc.syscall(getdents64, fd, buf, bufferSize);
    if (n < 0) {
      throw new ErrnoException(errno(), "getdents64");
    }
    List<String> names = new ArrayList<>();
    int off = 0;
    while (off < n) {
      int reclen = buf.getShort(off + 16) & 0xffff;
      int end = off + 19;
      while (end < off + reclen && buf.getByte(end) != 0) {
        end++;
      }
      byte[] name = new byte[end - off - 19];
      buf.get(off + 19, name, 0, name.length);
      names.add(new String(name, StandardCharsets.UTF_8));
      off += reclen;
    }
    return names;
  }

  /** A failed call with its errno. */
  public static final class ErrnoException extends java.io.IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public ErrnoException(int errno, String what) {
      super(what + ": " + io.overlay4j.spec.model.Errnos.name(errno));
      this.errno = errno;
    }

    public int errno() {
      return errno;
    }
  }
}
