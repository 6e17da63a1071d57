package io.overlay4j.fuse;

import io.overlay4j.core.DirEntry;
import io.overlay4j.core.Errno;
import io.overlay4j.core.FileType;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayDirectory;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.OverlayFile;
import io.overlay4j.core.Stat;
import io.overlay4j.core.StatFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.kenai.jffi.MemoryIO;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * Translates libfuse's path-based calls into {@link Overlay} calls, and the overlay's errno
 * back. It decides no semantics of its own: every answer comes from overlay-core. Open files
 * and directories live in a handle table, so reads and writes never resolve a path again.
 */
final class OverlayFuse extends FuseStubFS {
  private static final Logger LOG = Logger.getLogger(OverlayFuse.class.getName());
  private static final int O_ACCMODE = 3;
  private static final int O_RDONLY = 0;
  private static final int O_TRUNC = 01000;
  private static final int O_EXCL = 0200;
  private static final long UTIME_NOW = (1L << 30) - 1;
  private static final long UTIME_OMIT = (1L << 30) - 2;

  private final Overlay overlay;
  private final boolean ownAsCaller;
  private final boolean debug;
  private final AtomicLong nextHandle = new AtomicLong(1);
  private final ConcurrentHashMap<Long, OverlayFile> files = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, OverlayDirectory> directories = new ConcurrentHashMap<>();
  /** A virtual attribute of the mount root: the server's counters as JSON. */
  static final String STATS_XATTR = "user.overlay4j.stats";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final int SELF_UID = idOfSelf("uid");
  private static final int SELF_GID = idOfSelf("gid");

  private final RequestStats stats = new RequestStats();

  /**
   * @param ownAsCaller give new objects the calling process's uid and gid (needs root)
   * @param debug log every failed request
   */
  OverlayFuse(Overlay overlay, boolean ownAsCaller, boolean debug) {
    this.overlay = overlay;
    this.ownAsCaller = ownAsCaller;
    this.debug = debug;
    // flag_nullpath_ok: with hard_remove, calls on a file unlinked while open come with a null
    // path, and we serve them from the handle table (libfuse would answer ENOENT otherwise).
    // flag_utime_omit_ok: pass UTIME_NOW and UTIME_OMIT through instead of reading the clock.
    jnr.ffi.Struct.getMemory(fuseOperations).putInt(offsetOf(fuseOperations.flag_nullpath_ok),
        0b101);
  }

  /** This process's uid or gid, from the owner of /proc/self. */
  private static int idOfSelf(String which) {
    try {
      return (Integer) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"),
          "unix:" + which);
    } catch (IOException | RuntimeException e) {
      return Integer.MIN_VALUE; // unknown: always chown
    }
  }

  /** The offset of a struct member (jnr-ffi keeps {@code offset()} in a package-private class). */
  private static long offsetOf(Object member) {
    try {
      java.lang.reflect.Method m = member.getClass().getMethod("offset");
      m.setAccessible(true);
      return ((Number) m.invoke(member)).longValue();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("jnr-ffi struct layout not readable", e);
    }
  }

  @Override
  protected String getFSName() {
    return "overlay4j";
  }

  /**
   * jnr-fuse registers a shutdown hook per mount that runs {@code fusermount -u -z} at JVM exit
   * while it believes the file system mounted, and a blocking mount never tells it otherwise.
   * Once the mount has ended there is nothing to unmount: no process is started at exit.
   */
  @Override
  public void mount(java.nio.file.Path mountPoint, boolean blocking, boolean debug,
      String[] fuseOpts) {
    try {
      super.mount(mountPoint, blocking, debug, fuseOpts);
    } finally {
      if (blocking) {
        mounted.set(false);
      }
    }
  }

  /** Whether jnr-fuse takes this file system for mounted (and would unmount it at exit). */
  boolean mountedForJnrFuse() {
    return mounted.get();
  }

  // ---- attributes ----

  @Override
  public int getattr(String path, FileStat stat) {
    return call("getattr", path, () -> {
      fill(stat, overlay.getattr(path));
      return 0;
    });
  }

  @Override
  public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
    return call("fgetattr", path, () -> {
      OverlayFile f = file(fi);
      Stat st = null;
      if (path != null) {
        try {
          st = overlay.getattr(path);
        } catch (OverlayException gone) {
          if (gone.errno() != Errno.ENOENT && gone.errno() != Errno.ENOTDIR) {
            throw gone;
          }
        }
      }
      // The name may be gone or be another file by now (a rename over it): the handle decides.
      fill(stat, st != null && st.ino() == f.stat().ino() ? st : f.stat());
      return 0;
    });
  }

  @Override
  public int readlink(String path, Pointer buf, long size) {
    return call("readlink", path, () -> {
      byte[] target = overlay.readlink(path).getBytes(StandardCharsets.UTF_8);
      int n = (int) Math.min(target.length, size - 1);
      buf.put(0, target, 0, n);
      buf.putByte(n, (byte) 0);
      return 0;
    });
  }

  @Override
  public int chmod(String path, long mode) {
    return call("chmod", path, () -> {
      overlay.chmod(path, (int) mode & 07777);
      return 0;
    });
  }

  @Override
  public int chown(String path, long uid, long gid) {
    return call("chown", path, () -> {
      overlay.chown(path, (int) uid, (int) gid);
      return 0;
    });
  }

  @Override
  public int utimens(String path, Timespec[] timespec) {
    return call("utimens", path, () -> {
      overlay.utimens(path, nanos(timespec[0]), nanos(timespec[1]));
      return 0;
    });
  }

  @Override
  public int truncate(String path, long size) {
    return call("truncate", path, () -> {
      overlay.truncate(path, size);
      return 0;
    });
  }

  @Override
  public int statfs(String path, Statvfs stbuf) {
    return call("statfs", path, () -> {
      StatFs s = overlay.statfs();
      stbuf.f_bsize.set(s.blockSize());
      stbuf.f_frsize.set(s.fragmentSize());
      stbuf.f_blocks.set(s.blocks());
      stbuf.f_bfree.set(s.blocksFree());
      stbuf.f_bavail.set(s.blocksAvailable());
      stbuf.f_files.set(s.files());
      stbuf.f_ffree.set(s.filesFree());
      stbuf.f_favail.set(s.filesFree());
      stbuf.f_namemax.set(s.nameMax());
      return 0;
    });
  }

  @Override
  public int access(String path, int mask) {
    // With default_permissions the kernel checks modes itself; here only existence counts.
    return call("access", path, () -> {
      overlay.getattr(path);
      return 0;
    });
  }

  // ---- names ----

  @Override
  public int mknod(String path, long mode, long rdev) {
    return call("mknod", path, () -> {
      FileType type = FileType.fromMode((int) mode);
      if (type == FileType.REGULAR) {
        overlay.create(path, (int) mode & 07777, uid(), gid(), true).close();
      } else {
        overlay.mknod(path, type, (int) mode & 07777, rdev, uid(), gid());
      }
      return 0;
    });
  }

  @Override
  public int mkdir(String path, long mode) {
    return call("mkdir", path, () -> {
      overlay.mkdir(path, (int) mode & 07777, uid(), gid());
      return 0;
    });
  }

  @Override
  public int unlink(String path) {
    return call("unlink", path, () -> {
      overlay.unlink(path);
      return 0;
    });
  }

  @Override
  public int rmdir(String path) {
    return call("rmdir", path, () -> {
      overlay.rmdir(path);
      return 0;
    });
  }

  @Override
  public int symlink(String target, String path) {
    return call("symlink", path, () -> {
      overlay.symlink(target, path, uid(), gid());
      return 0;
    });
  }

  @Override
  public int rename(String from, String to) {
    return call("rename", from, () -> {
      overlay.rename(from, to, 0);
      return 0;
    });
  }

  @Override
  public int link(String existing, String path) {
    return call("link", path, () -> {
      overlay.link(existing, path);
      return 0;
    });
  }

  // ---- files ----

  @Override
  public int create(String path, long mode, FuseFileInfo fi) {
    return call("create", path, () -> {
      boolean exclusive = (fi.flags.get() & O_EXCL) != 0;
      OverlayFile f = overlay.create(path, (int) mode & 07777, uid(), gid(), exclusive);
      fi.fh.set(register(files, f));
      return 0;
    });
  }

  @Override
  public int open(String path, FuseFileInfo fi) {
    return call("open", path, () -> {
      int flags = fi.flags.get();
      boolean write = (flags & O_ACCMODE) != O_RDONLY;
      OverlayFile f = overlay.open(path, write, write && (flags & O_TRUNC) != 0);
      fi.fh.set(register(files, f));
      return 0;
    });
  }

  @Override
  public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    return call("read", path, () -> {
      OverlayFile f = file(fi);
      ByteBuffer b = view(buf, size);
      int total = 0;
      while (b.hasRemaining()) {
        int n = f.read(b, offset + total);
        if (n < 0) {
          break;
        }
        total += n;
      }
      return total;
    });
  }

  @Override
  public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    return call("write", path, () -> {
      OverlayFile f = file(fi);
      ByteBuffer b = view(buf, size);
      int total = 0;
      while (b.hasRemaining()) {
        total += f.write(b, offset + total);
      }
      return total;
    });
  }

  @Override
  public int ftruncate(String path, long size, FuseFileInfo fi) {
    return call("ftruncate", path, () -> {
      file(fi).truncate(size);
      return 0;
    });
  }

  @Override
  public int fallocate(String path, int mode, long off, long length, FuseFileInfo fi) {
    return call("fallocate", path, () -> {
      if (mode != 0) {
        throw new OverlayException(Errno.EOPNOTSUPP, path, "fallocate mode " + mode);
      }
      OverlayFile f = file(fi);
      if (off + length > f.size()) {
        f.truncate(off + length);
      }
      return 0;
    });
  }

  @Override
  public int flush(String path, FuseFileInfo fi) {
    return 0;
  }

  @Override
  public int fsync(String path, int isdatasync, FuseFileInfo fi) {
    return call("fsync", path, () -> {
      file(fi).sync(isdatasync == 0);
      return 0;
    });
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    OverlayFile f = files.remove(fi.fh.get());
    return call("release", path, () -> {
      if (f != null) {
        f.close();
      }
      return 0;
    });
  }

  // ---- directories ----

  @Override
  public int opendir(String path, FuseFileInfo fi) {
    return call("opendir", path, () -> {
      fi.fh.set(register(directories, overlay.opendir(path)));
      return 0;
    });
  }

  @Override
  public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
    return call("readdir", path, () -> {
      OverlayDirectory d = directories.get(fi.fh.get());
      if (d == null) {
        throw new OverlayException(Errno.EBADF, path);
      }
      FileStat st = new FileStat(Runtime.getSystemRuntime());
      // Offsets: 1 is ".", 2 is "..", 3 + i is the listing's entry i.
      // (glibc skips entries whose d_ino is 0, so the dot entries need real numbers.)
      st.st_mode.set(FileStat.S_IFDIR);
      if (offset < 1) {
        st.st_ino.set(overlay.getattr(path).ino());
        if (filler.apply(buf, ".", st, 1) != 0) {
          return 0;
        }
      }
      if (offset < 2) {
        int slash = path.lastIndexOf('/');
        st.st_ino.set(overlay.getattr(slash <= 0 ? "/" : path.substring(0, slash)).ino());
        if (filler.apply(buf, "..", st, 2) != 0) {
          return 0;
        }
      }
      long first = Math.max(0, offset - 2);
      List<DirEntry> entries = d.read(first);
      long next = first + 3;
      for (DirEntry e : entries) {
        st.st_ino.set(e.ino());
        st.st_mode.set(e.type().modeBits());
        if (filler.apply(buf, e.name(), st, next++) != 0) {
          break;
        }
      }
      return 0;
    });
  }

  @Override
  public int releasedir(String path, FuseFileInfo fi) {
    directories.remove(fi.fh.get());
    return 0;
  }

  @Override
  public int fsyncdir(String path, FuseFileInfo fi) {
    return 0;
  }

  // ---- extended attributes ----

  @Override
  public int setxattr(String path, String name, Pointer value, long size, int flags) {
    return call("setxattr", path, () -> {
      byte[] v = new byte[(int) size];
      value.get(0, v, 0, v.length);
      overlay.setxattr(path, name, v, flags);
      return 0;
    });
  }

  @Override
  public int getxattr(String path, String name, Pointer value, long size) {
    return call("getxattr", path, () -> {
      if (STATS_XATTR.equals(name) && "/".equals(path)) {
        return copyOut(statsJson(), value, size);
      }
      return copyOut(overlay.getxattr(path, name), value, size);
    });
  }

  @Override
  public int listxattr(String path, Pointer list, long size) {
    return call("listxattr", path, () -> {
      StringBuilder sb = new StringBuilder();
      for (String n : overlay.listxattr(path)) {
        sb.append(n).append('\0');
      }
      return copyOut(sb.toString().getBytes(StandardCharsets.UTF_8), list, size);
    });
  }

  @Override
  public int removexattr(String path, String name) {
    return call("removexattr", path, () -> {
      overlay.removexattr(path, name);
      return 0;
    });
  }

  @Override
  public void destroy(Pointer initResult) {
    files.values().forEach(f -> {
      try {
        f.close();
      } catch (IOException e) {
        LOG.log(Level.FINE, "closing " + f.path(), e);
      }
    });
    files.clear();
    directories.clear();
    try {
      overlay.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "closing the overlay", e);
    }
  }

  // ---- plumbing ----

  /** The JVM serving the mount (which architecture it runs on matters under emulation). */
  private static final Map<String, Object> SERVER = Map.of(
      "os_arch", System.getProperty("os.arch", "?"),
      "java_vm_version", System.getProperty("java.vm.version", "?"),
      "java_home", System.getProperty("java.home", "?"),
      "pid", ProcessHandle.current().pid());

  private byte[] statsJson() throws IOException {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("core", overlay.stats());
    all.put("open_files", files.size());
    all.put("open_directories", directories.size());
    all.put("requests", stats.snapshot());
    all.put("server", SERVER);
    return JSON.writeValueAsBytes(all);
  }

  /** getxattr/listxattr convention: size 0 asks for the length; too small is ERANGE. */
  private static int copyOut(byte[] data, Pointer dst, long size) throws OverlayException {
    if (size == 0) {
      return data.length;
    }
    if (size < data.length) {
      throw new OverlayException(Errno.ERANGE, null);
    }
    dst.put(0, data, 0, data.length);
    return data.length;
  }

  private static void fill(FileStat stat, Stat st) {
    stat.st_mode.set(st.stMode());
    stat.st_ino.set(st.ino());
    stat.st_nlink.set(st.nlink());
    stat.st_uid.set(st.uid());
    stat.st_gid.set(st.gid());
    stat.st_rdev.set(st.rdev());
    stat.st_size.set(st.size());
    stat.st_blksize.set(4096);
    stat.st_blocks.set(st.blocks());
    setTime(stat.st_atim, st.atimeNanos());
    setTime(stat.st_mtim, st.mtimeNanos());
    setTime(stat.st_ctim, st.ctimeNanos());
  }

  private static void setTime(Timespec t, long nanos) {
    t.tv_sec.set(Math.floorDiv(nanos, 1_000_000_000L));
    t.tv_nsec.set(Math.floorMod(nanos, 1_000_000_000L));
  }

  private static long nanos(Timespec t) {
    long nsec = t.tv_nsec.longValue();
    if (nsec == UTIME_OMIT) {
      return Overlay.OMIT;
    }
    if (nsec == UTIME_NOW) {
      java.time.Instant now = java.time.Instant.now();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
    return t.tv_sec.get() * 1_000_000_000L + nsec;
  }

  /**
   * libfuse's request buffer as a direct ByteBuffer: file data moves between it and the layer
   * file with no copy in Java.
   */
  private static ByteBuffer view(Pointer buf, long size) {
    return MemoryIO.getInstance().newDirectByteBuffer(buf.address(), (int) size);
  }

  private <T> long register(ConcurrentHashMap<Long, T> table, T handle) {
    long id = nextHandle.getAndIncrement();
    table.put(id, handle);
    return id;
  }

  private OverlayFile file(FuseFileInfo fi) throws OverlayException {
    OverlayFile f = files.get(fi.fh.get());
    if (f == null) {
      throw new OverlayException(Errno.EBADF, null, "no open file " + fi.fh.get());
    }
    return f;
  }

  /** The caller's uid for a new object; -1 (no chown) when it is the server's own. */
  private int uid() {
    if (!ownAsCaller) {
      return -1;
    }
    int uid = (int) getContext().uid.get();
    return uid == SELF_UID ? -1 : uid;
  }

  private int gid() {
    if (!ownAsCaller) {
      return -1;
    }
    int gid = (int) getContext().gid.get();
    return gid == SELF_GID ? -1 : gid;
  }

  /** One request: runs it, counts and times it, and turns a failure into {@code -errno}. */
  private int call(String op, String path, Request r) {
    long start = System.nanoTime();
    boolean failed = true;
    try {
      int result = r.run();
      failed = result < 0;
      return result;
    } catch (OverlayException e) {
      if (debug) {
        LOG.info(op + " " + path + ": " + e.getMessage());
      }
      return -e.errno().number();
    } catch (Throwable e) { // nothing may escape into libfuse's thread

      LOG.log(Level.WARNING, op + " " + path + " failed", e);
      return -Errno.EIO.number();
    } finally {
      stats.record(op, start, failed);
    }
  }

  @FunctionalInterface
  private interface Request {
    int run() throws Exception;
  }
}
