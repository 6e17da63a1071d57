package io.overlay4j.core.layer;

import io.overlay4j.core.Errno;
import io.overlay4j.core.FileType;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.Stat;
import io.overlay4j.core.StatFs;
import io.overlay4j.core.format.OriginHandle;
import io.overlay4j.core.os.JdkErrors;
import io.overlay4j.core.os.NativeOsAccess;
import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A layer that is a directory of the host. Reads and writes go to real files through the JDK,
 * and through {@link OsAccess} for what the JDK cannot do (trusted xattrs, device nodes,
 * renameat2, file handles). Nothing here follows a symlink at the last component.
 */
public final class HostLayer implements WritableLayer {
  private static final byte[] NO_UUID = new byte[16];

  private final Path root;
  private final OsAccess os;
  /** {@link #os} when it is the native one (it takes paths as strings), else null. */
  private final NativeOsAccess nativeOs;
  private final String rootString;
  private volatile byte[] uuid;

  public HostLayer(Path root, OsAccess os) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    this.os = os;
    this.nativeOs = os instanceof NativeOsAccess n ? n : null;
    this.rootString = this.root.toString();
    if (!Files.isDirectory(this.root, LinkOption.NOFOLLOW_LINKS)) {
      throw new OverlayException(Errno.ENOTDIR, this.root.toString(), "layer is not a directory");
    }
  }

  public HostLayer(Path root) throws IOException {
    this(root, OsAccess.system());
  }

  public Path root() {
    return root;
  }

  /**
   * Whether a layer path needs no normalization to be joined to the root as a string: what
   * {@link #resolve} would give (no empty, {@code .} or {@code ..} component, no leading or
   * trailing slash), so the string join names the same file.
   */
  private static boolean isPlain(String path) {
    int n = path.length();
    if (n == 0) {
      return true;
    }
    if (path.charAt(0) == '/' || path.charAt(n - 1) == '/') {
      return false;
    }
    int start = 0;
    for (int i = 0; i <= n; i++) {
      if (i == n || path.charAt(i) == '/') {
        int len = i - start;
        if (len == 0 || path.charAt(start) == '.' && (len == 1
            || len == 2 && path.charAt(start + 1) == '.')) {
          return false;
        }
        start = i + 1;
      }
    }
    return true;
  }

  /** The host path of a layer path. */
  public Path resolve(String path) {
    return path.isEmpty() ? root : root.resolve(path);
  }

  @Override
  public String name() {
    return root.toString();
  }

  // ---- reading ----

  @Override
  public Stat stat(String path) throws IOException {
    if (nativeOs != null && isPlain(path)) {
      return nativeOs.lstat(rootString, path);
    }
    try {
      return os.lstat(resolve(path));
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
  }

  @Override
  public List<Entry> entries(String path) throws IOException {
    List<OsAccess.DirectoryEntry> raw;
    try {
      raw = os.readDirectory(resolve(path));
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
    List<Entry> out = new ArrayList<>(raw.size());
    for (OsAccess.DirectoryEntry d : raw) {
      out.add(new Entry(d.name(), typeOf(d.type())));
    }
    return out;
  }

  /** A getdents {@code DT_*} value as a file type; null for DT_UNKNOWN. */
  private static FileType typeOf(int dtype) {
    for (FileType t : FileType.values()) {
      if (t.direntType() == dtype) {
        return t;
      }
    }
    return null;
  }

  @Override
  public byte[] getXattr(String path, String name) throws IOException {
    return os.getXattr(resolve(path), name);
  }

  @Override
  public List<String> listXattrs(String path) throws IOException {
    if (nativeOs != null && isPlain(path)) {
      return nativeOs.listXattrs(rootString, path);
    }
    return os.listXattrs(resolve(path));
  }

  @Override
  public String readLink(String path) throws IOException {
    try {
      return Files.readSymbolicLink(resolve(path)).toString();
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
  }

  @Override
  public LayerFile open(String path, boolean write) throws IOException {
    try {
      FileChannel ch = write
          ? FileChannel.open(resolve(path), StandardOpenOption.READ, StandardOpenOption.WRITE,
              LinkOption.NOFOLLOW_LINKS)
          : FileChannel.open(resolve(path), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      return new HostFile(ch, path);
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
  }

  @Override
  public StatFs statFs() throws IOException {
    io.overlay4j.core.os.StatVfs v = os.statVfs(root);
    return new StatFs(v.bsize(), v.frsize(), v.blocks(), v.bfree(), v.bavail(), v.files(),
        v.ffree(), v.namemax(), 0);
  }

  @Override
  public Stat statOfOrigin(byte[] origin) throws IOException {
    OriginHandle h = OriginHandle.decode(origin);
    if (h == null) {
      return null;
    }
    byte[] mine = filesystemUuid();
    if (!Arrays.equals(mine, NO_UUID) && !Arrays.equals(h.uuid(), NO_UUID)
        && !Arrays.equals(mine, h.uuid())) {
      return null;
    }
    return os.statOfHandle(root, new io.overlay4j.core.os.FileHandle(h.type(), h.fid(), 0));
  }

  /**
   * The kernel's {@code ovl_fb}: this file system's UUID and the object's exportfs handle; null
   * when the file system gives no handles.
   */
  @Override
  public byte[] originOf(String path) throws IOException {
    io.overlay4j.core.os.FileHandle fh = os.nameToHandle(resolve(path));
    return fh == null ? null : new OriginHandle(fh.type(), filesystemUuid(), fh.fid()).encode();
  }

  private byte[] filesystemUuid() throws IOException {
    byte[] u = uuid;
    if (u == null) {
      u = os.filesystemUuid(root);
      uuid = u = u == null || u.length != 16 ? NO_UUID : u;
    }
    return u;
  }

  // ---- writing ----

  @Override
  public void mkdir(String path, int mode) throws IOException {
    Path p = resolve(path);
    try {
      Files.createDirectory(p);
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
    os.chmod(p, mode); // not left to the umask
  }

  @Override
  public void createFile(String path, int mode) throws IOException {
    Path p = resolve(path);
    try {
      Files.createFile(p);
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
    os.chmod(p, mode);
  }

  @Override
  public LayerFile createOpen(String path, int mode) throws IOException {
    try {
      // One open(O_CREAT|O_EXCL|O_NOFOLLOW, mode): the caller fixes what the umask took.
      return new HostFile(FileChannel.open(resolve(path), CREATE_OPEN,
          PosixFilePermissions.asFileAttribute(permissions(mode))), path);
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
  }

  private static final Set<OpenOption> CREATE_OPEN = Set.of(StandardOpenOption.CREATE_NEW,
      StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ first: 0400
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (0400 >> i)) != 0) {
        set.add(bits[i]);
      }
    }
    return set;
  }

  @Override
  public void mknod(String path, FileType type, int mode, long rdev) throws IOException {
    Path p = resolve(path);
    os.mknod(p, type.modeBits() | (mode & 07777), rdev);
    os.chmod(p, mode);
  }

  @Override
  public void symlink(String path, String target) throws IOException {
    try {
      Files.createSymbolicLink(resolve(path), Path.of(target));
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
  }

  @Override
  public void link(String existing, String newPath) throws IOException {
    try {
      Files.createLink(resolve(newPath), resolve(existing));
    } catch (IOException e) {
      throw JdkErrors.translate(e, newPath);
    }
  }

  @Override
  public void unlink(String path) throws IOException {
    Stat st = stat(path);
    if (st == null) {
      throw new OverlayException(Errno.ENOENT, path);
    }
    if (st.isDirectory()) {
      throw new OverlayException(Errno.EISDIR, path);
    }
    delete(path);
  }

  @Override
  public void rmdir(String path) throws IOException {
    Stat st = stat(path);
    if (st == null) {
      throw new OverlayException(Errno.ENOENT, path);
    }
    if (!st.isDirectory()) {
      throw new OverlayException(Errno.ENOTDIR, path);
    }
    delete(path);
  }

  private void delete(String path) throws IOException {
    try {
      Files.delete(resolve(path));
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
  }

  @Override
  public void renameFrom(WritableLayer source, String from, String to, int flags)
      throws IOException {
    if (!(source instanceof HostLayer host)) {
      throw new OverlayException(Errno.EXDEV, to, "rename from " + source.name());
    }
    os.rename(host.resolve(from), resolve(to), flags);
  }

  @Override
  public void setXattr(String path, String name, byte[] value) throws IOException {
    os.setXattr(resolve(path), name, value);
  }

  @Override
  public void removeXattr(String path, String name) throws IOException {
    os.removeXattr(resolve(path), name);
  }

  @Override
  public void chmod(String path, int mode) throws IOException {
    os.chmod(resolve(path), mode & 07777);
  }

  @Override
  public void chown(String path, int uid, int gid) throws IOException {
    os.lchown(resolve(path), uid, gid);
  }

  @Override
  public void setTimes(String path, long atimeNanos, long mtimeNanos) throws IOException {
    os.utimens(resolve(path), atimeNanos == -1 ? OsAccess.OMIT_TIME : atimeNanos,
        mtimeNanos == -1 ? OsAccess.OMIT_TIME : mtimeNanos);
  }

  @Override
  public void makeWhiteout(String path) throws IOException {
    os.mknod(resolve(path), FileType.CHAR_DEVICE.modeBits(), 0);
  }

  @Override
  public void copyData(Layer from, String fromPath, String path, boolean sync)
      throws IOException {
    if (from instanceof HostLayer host) {
      os.copyFileData(host.resolve(fromPath), resolve(path), sync);
      return;
    }
    createFile(path, 0600);
    try (LayerFile in = from.open(fromPath, false); LayerFile out = open(path, true)) {
      LayerFile.copy(in, out);
      if (sync) {
        out.sync(true);
      }
    }
  }

  @Override
  public void syncDirectory(String path) throws IOException {
    try (FileChannel ch = FileChannel.open(resolve(path), StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      throw JdkErrors.translate(e, path);
    }
  }

  private final class HostFile implements LayerFile {
    private final FileChannel ch;
    private final String path;

    HostFile(FileChannel ch, String path) {
      this.ch = ch;
      this.path = path;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      try {
        return ch.read(dst, position);
      } catch (IOException e) {
        throw JdkErrors.translate(e, path);
      }
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      try {
        return ch.write(src, position);
      } catch (IOException e) {
        throw JdkErrors.translate(e, path);
      }
    }

    @Override
    public long size() throws IOException {
      return ch.size();
    }

    @Override
    public void truncate(long size) throws IOException {
      try {
        if (size < ch.size()) {
          ch.truncate(size);
        } else if (size == ch.size()) {
          // truncate(2) sets mtime and ctime even when the size stays; FileChannel does not.
          touch();
        } else if (size > ch.size()) {
          // FileChannel.truncate never grows a file; a one-byte write at the end does.
          ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
        }
      } catch (IOException e) {
        throw JdkErrors.translate(e, path);
      }
    }

    @Override
    public void sync(boolean metadata) throws IOException {
      ch.force(metadata);
    }

    private void touch() throws IOException {
      java.time.Instant now = java.time.Instant.now();
      try {
        os.utimens(resolve(path), OsAccess.OMIT_TIME,
            now.getEpochSecond() * 1_000_000_000L + now.getNano());
      } catch (OverlayException gone) {
        if (gone.errno() != Errno.ENOENT) { // unlinked while open: nobody can see its times
          throw gone;
        }
      }
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
