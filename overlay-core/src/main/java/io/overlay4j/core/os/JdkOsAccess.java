package io.overlay4j.core.os;

import io.overlay4j.core.Stat;

import io.overlay4j.core.Errno;
import io.overlay4j.core.OverlayException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@link OsAccess} with nothing but {@code java.nio.file}. What the JDK cannot do fails the way a
 * filesystem without the feature would:
 *
 * <ul>
 *   <li>xattrs: only the {@code user.} namespace (UserDefinedFileAttributeView strips and adds
 *       the prefix); others give EOPNOTSUPP. Linux keeps user xattrs only on regular files and
 *       directories, so on anything else reads find nothing and writes give EPERM, as the
 *       kernel answers.
 *   <li>mknod: regular files only (an empty file, like {@code mknod(S_IFREG)}); FIFOs and
 *       sockets give EOPNOTSUPP (no JDK call makes them), device nodes EPERM (as for an
 *       unprivileged process). Overlay whiteouts must then use the {@code .wh.} form.
 *   <li>rename: {@link #RENAME_NOREPLACE} checks then renames, which is not atomic against a
 *       racing creator; {@link #RENAME_EXCHANGE} and {@link #RENAME_WHITEOUT} give EINVAL, the
 *       kernel's answer on a filesystem that lacks them.
 *   <li>copyFileData: {@link FileChannel#transferTo}, reported as {@link CopyMethod#READ_WRITE}.
 *   <li>utimens, lchown, chmod: through attribute views with NOFOLLOW_LINKS. JDK 17 on Linux
 *       sets times of files with {@code futimens} (nanoseconds) but of symlinks with
 *       {@code lutimes}, which truncates to microseconds. It must open the file to set times, so
 *       times of FIFOs, sockets and devices give EOPNOTSUPP here.
 *   <li>statVfs: from {@link FileStore}; inode counts unknown (0), name length assumed 255.
 *   <li>file handles and filesystem UUID: unsupported (null / empty).
 *   <li>lstat: from the {@code unix:*} attributes; {@code blocks} is estimated from the size
 *       because the JDK does not expose st_blocks.
 * </ul>
 *
 * <p>The JDK reports errno only as text ({@link FileSystemException#getReason()}, strerror in the
 * C locale); {@link JdkErrors#errnoOf} maps that text back.
 */
final class JdkOsAccess implements OsAccess {

  private static final String USER = "user.";
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  @Override
  public boolean isNative() {
    return false;
  }

  // ---- xattrs

  @Override
  public byte[] getXattr(Path p, String name) throws IOException {
    String userName = userName(p, name);
    try {
      if (!mayHoldUserXattrs(p)) {
        return null;
      }
      UserDefinedFileAttributeView view = userView(p);
      ByteBuffer buf = ByteBuffer.allocate(view.size(userName));
      view.read(userName, buf);
      byte[] value = new byte[buf.position()];
      buf.flip().get(value);
      return value;
    } catch (FileSystemException e) {
      OverlayException oe = translate(e, p, "getxattr " + name);
      if (oe.errno() == Errno.ENODATA) {
        return null;
      }
      throw oe;
    }
  }

  @Override
  public List<DirectoryEntry> readDirectory(Path dir) throws IOException {
    List<DirectoryEntry> out = new java.util.ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        out.add(new DirectoryEntry(p.getFileName().toString(), DT_UNKNOWN));
      }
    }
    return out;
  }

  @Override
  public List<String> listXattrs(Path p) throws IOException {
    try {
      if (!mayHoldUserXattrs(p)) {
        return List.of();
      }
      List<String> names = new ArrayList<>();
      for (String n : userView(p).list()) {
        names.add(USER + n);
      }
      return names;
    } catch (FileSystemException e) {
      throw translate(e, p, "listxattr");
    }
  }

  @Override
  public void setXattr(Path p, String name, byte[] value) throws IOException {
    String userName = userName(p, name);
    try {
      if (!mayHoldUserXattrs(p)) {
        throw new OverlayException(Errno.EPERM, p.toString(), "setxattr: user.* on a special file");
      }
      userView(p).write(userName, ByteBuffer.wrap(value));
    } catch (FileSystemException e) {
      throw translate(e, p, "setxattr " + name);
    }
  }

  @Override
  public void removeXattr(Path p, String name) throws IOException {
    String userName = userName(p, name);
    try {
      if (!mayHoldUserXattrs(p)) {
        throw new OverlayException(Errno.EPERM, p.toString(), "removexattr: user.* on a special file");
      }
      userView(p).delete(userName);
    } catch (FileSystemException e) {
      throw translate(e, p, "removexattr " + name);
    }
  }

  /**
   * Linux allows user.* only on regular files and directories (reads elsewhere find nothing,
   * writes give EPERM). Checking first also keeps the JDK from opening a FIFO, which blocks.
   */
  private static boolean mayHoldUserXattrs(Path p) throws IOException {
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
    return a.isRegularFile() || a.isDirectory();
  }

  private static String userName(Path p, String name) throws OverlayException {
    if (!name.startsWith(USER) || name.length() == USER.length()) {
      throw new OverlayException(
          Errno.EOPNOTSUPP, p.toString(), "xattr " + name + ": only user.* without native access");
    }
    return name.substring(USER.length());
  }

  private static UserDefinedFileAttributeView userView(Path p) throws OverlayException {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, NOFOLLOW);
    if (view == null) {
      throw new OverlayException(Errno.EOPNOTSUPP, p.toString(), "no user xattr support");
    }
    return view;
  }

  // ---- namespace

  @Override
  public void mknod(Path p, int mode, long rdev) throws IOException {
    int type = mode & S_IFMT;
    try {
      if (type == S_IFREG || type == 0) {
        Set<PosixFilePermission> perms = permissions(mode);
        Files.createFile(p, PosixFilePermissions.asFileAttribute(perms)); // umask applies
      } else if (type == S_IFCHR || type == S_IFBLK) {
        throw new OverlayException(Errno.EPERM, p.toString(), "mknod: devices need native access");
      } else if (type == S_IFIFO || type == S_IFSOCK) {
        throw new OverlayException(Errno.EOPNOTSUPP, p.toString(), "mknod: needs native access");
      } else {
        throw new OverlayException(Errno.EINVAL, p.toString(), "mknod: bad type");
      }
    } catch (FileSystemException e) {
      throw translate(e, p, "mknod");
    }
  }

  @Override
  public void rename(Path from, Path to, int flags) throws IOException {
    if (flags != 0 && flags != RENAME_NOREPLACE) {
      throw new OverlayException(
          Errno.EINVAL, from.toString(), "rename flags " + flags + " need native access");
    }
    try {
      if (flags == RENAME_NOREPLACE && Files.exists(to, NOFOLLOW)) {
        throw new OverlayException(Errno.EEXIST, to.toString(), "rename NOREPLACE");
      }
      // ATOMIC_MOVE is rename(2) itself: replaces a target, never copies across filesystems.
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileSystemException e) {
      throw translate(e, from, "rename to " + to);
    }
  }

  // ---- data

  @Override
  public CopyMethod copyFileData(Path src, Path dst, boolean fsync) throws IOException {
    try {
      // Check types first: opening a FIFO would block.
      if (!Files.isRegularFile(src, NOFOLLOW)) {
        throw notRegular(src);
      }
      try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
          FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
        long size = in.size();
        long pos = 0;
        while (pos < size) {
          long n = in.transferTo(pos, size - pos, out);
          if (n <= 0) {
            break; // src shrank
          }
          pos += n;
        }
        if (fsync) {
          out.force(true);
        }
      }
      return CopyMethod.READ_WRITE;
    } catch (FileSystemException e) {
      throw translate(e, src, "copy to " + dst);
    }
  }

  private static OverlayException notRegular(Path p) {
    return new OverlayException(Errno.EINVAL, p.toString(), "copyFileData: not a regular file");
  }

  // ---- attributes

  @Override
  public void utimens(Path p, long atimeNanos, long mtimeNanos) throws IOException {
    try {
      if (Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW).isOther()) {
        // The JDK opens the file to set its times; opening a FIFO blocks until a writer comes.
        throw new OverlayException(
            Errno.EOPNOTSUPP, p.toString(), "utimens of a special file needs native access");
      }
      Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW)
          .setTimes(fileTime(mtimeNanos), fileTime(atimeNanos), null);
    } catch (FileSystemException e) {
      throw translate(e, p, "utimens");
    }
  }

  private static FileTime fileTime(long nanos) {
    return nanos == OMIT_TIME ? null : FileTime.from(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void lchown(Path p, int uid, int gid) throws IOException {
    try {
      if (uid != -1) {
        Files.setAttribute(p, "unix:uid", uid, NOFOLLOW);
      }
      if (gid != -1) {
        Files.setAttribute(p, "unix:gid", gid, NOFOLLOW);
      }
    } catch (FileSystemException e) {
      throw translate(e, p, "lchown");
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      throw new OverlayException(Errno.EOPNOTSUPP, p.toString(), "lchown: " + e.getMessage());
    }
  }

  @Override
  public void chmod(Path p, int mode) throws IOException {
    try {
      if (isSymlink(p)) {
        return;
      }
      // Not a symlink, so following is harmless, and it makes the JDK chmod(2) the path:
      // with NOFOLLOW_LINKS it opens the file first, which blocks on a FIFO.
      Files.setAttribute(p, "unix:mode", mode & 07777);
    } catch (FileSystemException e) {
      throw translate(e, p, "chmod");
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // No unix view (not Linux/macOS): the POSIX view keeps the 9 rwx bits.
      try {
        Files.setPosixFilePermissions(p, permissions(mode));
      } catch (FileSystemException fe) {
        throw translate(fe, p, "chmod");
      } catch (UnsupportedOperationException ue) {
        throw new OverlayException(Errno.EOPNOTSUPP, p.toString(), "chmod: " + ue.getMessage());
      }
    }
  }

  @Override
  public StatVfs statVfs(Path p) throws IOException {
    try {
      FileStore store = Files.getFileStore(p);
      long bsize = store.getBlockSize();
      return new StatVfs(
          bsize,
          bsize,
          store.getTotalSpace() / bsize,
          store.getUnallocatedSpace() / bsize,
          store.getUsableSpace() / bsize,
          0,
          0,
          255);
    } catch (FileSystemException e) {
      throw translate(e, p, "statvfs");
    } catch (UnsupportedOperationException e) {
      throw new OverlayException(Errno.EOPNOTSUPP, p.toString(), "statvfs: " + e.getMessage());
    }
  }

  // ---- file handles and filesystem identity: not reachable from the JDK

  @Override
  public FileHandle nameToHandle(Path p) {
    return null;
  }

  @Override
  public Stat statOfHandle(Path anyPathOnSameFs, FileHandle h) {
    return null; // the JDK cannot open files by handle
  }

  @Override
  public byte[] filesystemUuid(Path p) {
    return null;
  }

  // ---- stat

  @Override
  public Stat lstat(Path p) throws IOException {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(p, "unix:*", NOFOLLOW);
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      OverlayException oe = translate(e, p, "lstat");
      if (oe.errno() == Errno.ENOENT) {
        return null;
      }
      throw oe;
    } catch (UnsupportedOperationException e) {
      return basicLstat(p);
    }
    long size = (Long) a.get("size");
    return Stat.ofMode(
        (Integer) a.get("mode"),
        (Long) a.get("ino"),
        (Long) a.get("dev"),
        (Long) a.get("rdev"),
        (Integer) a.get("nlink"),
        (Integer) a.get("uid"),
        (Integer) a.get("gid"),
        size,
        (size + 511) / 512,
        nanos(a.get("lastAccessTime")),
        nanos(a.get("lastModifiedTime")),
        nanos(a.get("ctime")));
  }

  /** Without a unix view (not a Unix JDK): type from basic attributes, no ids. */
  private static Stat basicLstat(Path p) throws IOException {
    BasicFileAttributes b;
    try {
      b = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
    } catch (NoSuchFileException e) {
      return null;
    }
    int type = b.isDirectory() ? S_IFDIR : b.isSymbolicLink() ? S_IFLNK : S_IFREG;
    int perms = b.isDirectory() ? 0755 : 0644;
    long size = b.size();
    return Stat.ofMode(type | perms, 0, 0, 0, 1, 0, 0, size, (size + 511) / 512,
        nanos(b.lastAccessTime()), nanos(b.lastModifiedTime()), nanos(b.lastModifiedTime()));
  }

  private static long nanos(Object fileTime) {
    return ((FileTime) fileTime).to(TimeUnit.NANOSECONDS);
  }

  // ---- plumbing

  private static boolean isSymlink(Path p) {
    return Files.isSymbolicLink(p);
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) {
      if ((mode & (0400 >> i)) != 0) {
        perms.add(all[i]);
      }
    }
    return perms;
  }

  private static OverlayException translate(FileSystemException e, Path p, String call) {
    return new OverlayException(JdkErrors.errnoOf(e), p.toString(), call + ": " + e.getMessage(), e);
  }

}
