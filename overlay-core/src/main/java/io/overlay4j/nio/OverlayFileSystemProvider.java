package io.overlay4j.nio;

import io.overlay4j.core.DirEntry;
import io.overlay4j.core.Errno;
import io.overlay4j.core.FileType;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.OverlayFile;
import io.overlay4j.core.Stat;
import io.overlay4j.core.config.OverlayConfig;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.WritableLayer;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The {@code overlay} file system provider: overlay-core behind {@link java.nio.file.Files}, no
 * mount, no root, no native code. Installed through the service loader (it is in the
 * overlay-core jar), so
 *
 * <pre>{@code
 * FileSystem fs = FileSystems.newFileSystem(URI.create("overlay://build"),
 *     Map.of("lowerdir", "/l1:/l2", "upperdir", "/u", "workdir", "/w"));
 * Files.writeString(fs.getPath("/etc/motd"), "hello"); // copies up, writes /u/etc/motd
 * }</pre>
 *
 * <p>The environment map holds mount options, one per entry, named and written as in the
 * option string of {@code mount -t overlay} ({@code "lowerdir"}, {@code "upperdir"}, {@code
 * "workdir"}, {@code "redirect_dir"}, {@code "metacopy"}, {@code "volatile"}, {@code "ro"}, ...),
 * or a whole option string under {@code "options"}; they are parsed and validated by {@link
 * OverlayConfig#parse(Map)} and {@link Overlay#open}, exactly as for a mount. Values may be
 * strings, {@link Path}s (escaped for you), collections of them for {@code lowerdir} (topmost
 * first), {@code Boolean.TRUE} for a flag such as {@code volatile}, or numbers. Layers can also
 * be given as objects (in-memory layers for tests, or layers of your own), instead of
 * directories: {@code "lowerLayers"} (a {@link Layer} or a list of them, topmost first), {@code
 * "upperLayer"} and {@code "workLayer"} ({@link WritableLayer}s, both or neither), {@code
 * "dataLayers"}; the other options still apply. {@code "umask"} (an Integer, or an octal
 * string) is the umask applied to the modes of new files and directories, as the kernel applies
 * the process's; by default it is this process's umask.
 *
 * <p>Semantics are the core's: the same copy-up, whiteouts, errors. Errors are the JDK's
 * exceptions for the same errnos, as the JDK's Unix provider maps them (see {@code Errors});
 * the core's {@link OverlayException} is the cause of each. Like the core (and unlike a mount
 * with {@code default_permissions}), operations do not check permissions; {@link #checkAccess}
 * answers from the mode bits as {@code access(2)} would.
 */
public final class OverlayFileSystemProvider extends FileSystemProvider {
  public static final String SCHEME = "overlay";

  private final Map<String, OverlayFileSystem> open = new HashMap<>();

  @Override
  public String getScheme() {
    return SCHEME;
  }

  // ---- file systems ----

  private static String nameOf(URI uri) {
    if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("URI scheme is not \"" + SCHEME + "\": " + uri);
    }
    String name = uri.getAuthority();
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("URI has no file system name (overlay://NAME): " + uri);
    }
    return name;
  }

  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
    String name = nameOf(uri);
    String p = uri.getPath();
    if (p != null && !p.isEmpty() && !p.equals("/") || uri.getQuery() != null
        || uri.getFragment() != null) {
      throw new IllegalArgumentException("a file system URI is overlay://NAME only: " + uri);
    }
    synchronized (open) {
      if (open.containsKey(name)) {
        throw new FileSystemAlreadyExistsException(name);
      }
      OverlayFileSystem fs = create(name, env);
      open.put(name, fs);
      return fs;
    }
  }

  private static final Set<String> LAYER_OPTIONS = Set.of("lowerdir", "lowerdir+", "datadir+",
      "upperdir", "workdir");

  private OverlayFileSystem create(String name, Map<String, ?> env) throws IOException {
    Map<String, String> options = new LinkedHashMap<>();
    List<Layer> lowers = new ArrayList<>();
    List<Layer> data = new ArrayList<>();
    WritableLayer upper = null;
    WritableLayer work = null;
    int umask = -1;
    for (Map.Entry<String, ?> e : env.entrySet()) {
      String key = e.getKey();
      Object v = e.getValue();
      switch (key) {
        case "lowerLayers" -> lowers.addAll(layers(key, v));
        case "dataLayers" -> data.addAll(layers(key, v));
        case "upperLayer" -> upper = writable(key, v);
        case "workLayer" -> work = writable(key, v);
        case "umask" -> umask = v instanceof Number n ? n.intValue()
            : Integer.parseInt(String.valueOf(v), 8);
        default -> {
          String value = optionValue(key, v);
          if (value != null || v == null || Boolean.TRUE.equals(v)) {
            options.put(key, value);
          }
        }
      }
    }
    if (umask < 0) {
      umask = Principals.processUmask();
    }
    if ((upper == null) != (work == null)) {
      throw new IllegalArgumentException("upperLayer and workLayer go together");
    }
    Overlay overlay;
    OverlayConfig config;
    if (lowers.isEmpty() && upper == null && data.isEmpty()) {
      config = OverlayConfig.parse(options);
      overlay = Overlay.open(config);
    } else {
      if (lowers.isEmpty()) {
        throw new IllegalArgumentException("layer objects need lowerLayers");
      }
      for (String k : options.keySet()) {
        List<String> given = new ArrayList<>();
        if (k.equals("options")) {
          for (String piece : OverlayConfig.splitOptions(options.get(k))) {
            given.add(piece.replaceAll("=.*", ""));
          }
        } else {
          given.add(k);
        }
        for (String g : given) {
          if (LAYER_OPTIONS.contains(g)) {
            throw new IllegalArgumentException("layers are given as objects (lowerLayers, "
                + "upperLayer, ...) and as " + g + "=: give them one way");
          }
        }
      }
      // The kernel's option rules need the layers' shape (how many lowers, an upper or not):
      // placeholders stand for the objects, and the directories are never looked at.
      Path base = Path.of("/overlay4j-layer-objects");
      List<String> ph = new ArrayList<>();
      for (int i = 0; i < lowers.size(); i++) {
        ph.add(base.resolve("lower" + i).toString());
      }
      for (int i = 0; i < data.size(); i++) {
        ph.add((i == 0 ? ":" : "") + base.resolve("data" + i));
      }
      options.put("lowerdir", String.join(":", ph));
      if (upper != null) {
        options.put("upperdir", base.resolve("upper").toString());
        options.put("workdir", base.resolve("work").toString());
      }
      config = OverlayConfig.parse(options);
      Overlay.Builder b = Overlay.builder();
      lowers.forEach(b::lower);
      data.forEach(b::dataLayer);
      if (upper != null) {
        b.upper(upper, work);
      }
      overlay = b.options(config).build();
    }
    return new OverlayFileSystem(this, name, overlay, config.readOnly(), umask & 0777);
  }

  private static List<Layer> layers(String key, Object v) {
    List<Layer> out = new ArrayList<>();
    if (v instanceof Layer l) {
      out.add(l);
    } else if (v instanceof Collection<?> c) {
      for (Object o : c) {
        if (!(o instanceof Layer l)) {
          throw new IllegalArgumentException(key + " holds a " + o.getClass().getName()
              + ", not a io.overlay4j.core.layer.Layer");
        }
        out.add(l);
      }
    } else {
      throw new IllegalArgumentException(key + " must be a Layer or a list of Layers");
    }
    return out;
  }

  private static WritableLayer writable(String key, Object v) {
    if (!(v instanceof WritableLayer w)) {
      throw new IllegalArgumentException(key + " must be a io.overlay4j.core.layer.WritableLayer");
    }
    return w;
  }

  /** An option's value in the option syntax: paths escaped, lists joined with ':'; null for a flag. */
  private static String optionValue(String key, Object v) {
    if (v == null || v instanceof Boolean) {
      return null;
    }
    if (v instanceof Path p) {
      return escape(p.toString());
    }
    if (v instanceof Collection<?> c) {
      List<String> parts = new ArrayList<>();
      for (Object o : c) {
        parts.add(escape(String.valueOf(o)));
      }
      return String.join(":", parts);
    }
    if (v instanceof CharSequence || v instanceof Number) {
      return v.toString();
    }
    throw new IllegalArgumentException("option " + key + ": a " + v.getClass().getName()
        + " is not a string, path, list of paths, number or Boolean.TRUE");
  }

  private static String escape(String path) {
    return path.replace("\\", "\\\\").replace(":", "\\:").replace(",", "\\,");
  }

  void forget(OverlayFileSystem fs) {
    synchronized (open) {
      open.remove(fs.name(), fs);
    }
  }

  @Override
  public OverlayFileSystem getFileSystem(URI uri) {
    String name = nameOf(uri);
    synchronized (open) {
      OverlayFileSystem fs = open.get(name);
      if (fs == null) {
        throw new FileSystemNotFoundException(uri.toString());
      }
      return fs;
    }
  }

  /** {@code overlay://NAME/path}: the path in the open file system NAME. */
  @Override
  public OverlayPath getPath(URI uri) {
    OverlayFileSystem fs = getFileSystem(uri);
    String p = uri.getPath();
    return fs.getPath(p == null || p.isEmpty() ? "/" : p);
  }

  // ---- helpers ----

  static boolean followLinks(LinkOption... options) {
    boolean follow = true;
    for (LinkOption o : options) {
      if (o == LinkOption.NOFOLLOW_LINKS) {
        follow = false;
      } else if (o == null) {
        throw new NullPointerException();
      }
    }
    return follow;
  }

  private static OverlayPath check(Path p) {
    if (!(p instanceof OverlayPath op)) {
      throw new ProviderMismatchException(p == null ? "null" : p.getClass().getName());
    }
    op.getFileSystem().requireOpen();
    return op;
  }

  private static Overlay ov(OverlayPath p) {
    return p.getFileSystem().overlay();
  }

  private static String str(Path p) {
    return p.toString();
  }

  private static void requireWritable(OverlayPath p) throws IOException {
    if (p.getFileSystem().isReadOnly()) {
      throw Errors.of(Errno.EROFS, str(p), null);
    }
  }

  Stat stat(OverlayPath p, boolean follow) throws IOException {
    try {
      return ov(p).getattr(p.corePath(), follow);
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  private Stat lstatOrNull(OverlayPath p) throws IOException {
    try {
      return ov(p).getattr(p.corePath(), false);
    } catch (OverlayException e) {
      if (e.errno() == Errno.ENOENT) {
        return null;
      }
      throw Errors.translate(e, str(p), null);
    }
  }

  OverlayFileAttributes attributes(OverlayPath p, boolean follow) throws IOException {
    return new OverlayFileAttributes(stat(check(p), follow));
  }

  /**
   * The core path of the object {@code p} names, a last symlink followed (within the overlay)
   * when {@code follow}: for the operations the core applies to the link itself (chown,
   * utimens, xattrs), which the JDK applies to the link's target unless NOFOLLOW_LINKS.
   */
  private static String target(OverlayPath p, boolean follow) throws IOException {
    String path = p.corePath();
    if (!follow) {
      return path;
    }
    Overlay o = ov(p);
    try {
      for (int links = 0; links <= 40; links++) {
        if (!o.getattr(path, false).isSymlink()) {
          return path;
        }
        String t = o.readlink(path);
        if (t.startsWith("/")) {
          path = t;
        } else {
          int slash = path.lastIndexOf('/');
          path = (slash <= 0 ? "" : path.substring(0, slash)) + "/" + t;
        }
      }
      throw new OverlayException(Errno.ELOOP, p.corePath());
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  void setTimes(OverlayPath p, boolean follow, FileTime mtime, FileTime atime)
      throws IOException {
    requireWritable(p);
    String t = target(p, follow);
    try {
      ov(p).utimens(t, atime == null ? Overlay.OMIT : atime.to(TimeUnit.NANOSECONDS),
          mtime == null ? Overlay.OMIT : mtime.to(TimeUnit.NANOSECONDS));
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  /** chmod(2) follows a last symlink; without following, a symlink is refused as the JDK does. */
  void chmod(OverlayPath p, boolean follow, int mode) throws IOException {
    requireWritable(p);
    try {
      if (!follow && ov(p).getattr(p.corePath(), false).isSymlink()) {
        throw new OverlayException(Errno.ELOOP, p.corePath());
      }
      ov(p).chmod(p.corePath(), mode);
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  void chown(OverlayPath p, boolean follow, int uid, int gid) throws IOException {
    requireWritable(p);
    String t = target(p, follow);
    try {
      ov(p).chown(t, uid, gid);
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  List<String> listxattr(OverlayPath p, boolean follow) throws IOException {
    String t = target(p, follow);
    try {
      return ov(p).listxattr(t);
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  byte[] getxattr(OverlayPath p, boolean follow, String name) throws IOException {
    String t = target(p, follow);
    try {
      return ov(p).getxattr(t, name);
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  void setxattr(OverlayPath p, boolean follow, String name, byte[] value, int flags)
      throws IOException {
    requireWritable(p);
    String t = target(p, follow);
    try {
      ov(p).setxattr(t, name, value, flags);
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  void removexattr(OverlayPath p, boolean follow, String name) throws IOException {
    requireWritable(p);
    String t = target(p, follow);
    try {
      ov(p).removexattr(t, name);
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  /** The mode bits a creation asks for: {@code posix:permissions}, or the default, less umask. */
  private static int createMode(OverlayPath p, int defaultMode, FileAttribute<?>... attrs) {
    int mode = defaultMode;
    for (FileAttribute<?> a : attrs) {
      if (a.name().equals("posix:permissions") || a.name().equals("unix:permissions")) {
        mode = OverlayFileAttributes.mode((Set<?>) a.value());
      } else {
        throw new UnsupportedOperationException("'" + a.name()
            + "' not supported as initial attribute");
      }
    }
    return mode & ~p.getFileSystem().umask();
  }

  // ---- files ----

  @Override
  public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
      FileAttribute<?>... attrs) throws IOException {
    return newFileChannel(path, options, attrs);
  }

  @Override
  public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options,
      FileAttribute<?>... attrs) throws IOException {
    OverlayPath p = check(path);
    boolean read = false;
    boolean write = false;
    boolean append = false;
    boolean truncate = false;
    boolean create = false;
    boolean createNew = false;
    boolean follow = true;
    boolean sync = false;
    boolean deleteOnClose = false;
    for (OpenOption o : options) {
      if (o == StandardOpenOption.READ) {
        read = true;
      } else if (o == StandardOpenOption.WRITE) {
        write = true;
      } else if (o == StandardOpenOption.APPEND) {
        append = true;
        write = true;
      } else if (o == StandardOpenOption.TRUNCATE_EXISTING) {
        truncate = true;
      } else if (o == StandardOpenOption.CREATE) {
        create = true;
      } else if (o == StandardOpenOption.CREATE_NEW) {
        createNew = true;
      } else if (o == StandardOpenOption.SYNC || o == StandardOpenOption.DSYNC) {
        sync = true;
      } else if (o == StandardOpenOption.DELETE_ON_CLOSE) {
        deleteOnClose = true;
      } else if (o == StandardOpenOption.SPARSE) {
        continue; // a hint
      } else if (o == LinkOption.NOFOLLOW_LINKS) {
        follow = false;
      } else if (o == null) {
        throw new NullPointerException();
      } else {
        throw new UnsupportedOperationException(o + " not supported");
      }
    }
    if (!write) {
      read = true;
    }
    if (read && append) {
      throw new IllegalArgumentException("READ + APPEND not allowed");
    }
    if (append && truncate) {
      throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
    }
    if (!write) {
      truncate = false; // ignored for reading, as in the JDK
      create = false;
      createNew = false;
    }
    int mode = createMode(p, 0666, attrs);
    if (write) {
      requireWritable(p);
    }
    Overlay o = ov(p);
    String cp = p.corePath();
    OverlayFile f;
    try {
      if (createNew) {
        f = o.create(cp, mode, -1, -1, true);
      } else {
        if (!follow && o.exists(cp) && o.getattr(cp, false).isSymlink()) {
          // O_NOFOLLOW: the JDK's Unix provider says this with a plain IOException
          IOException x = new IOException(Errors.strerror(Errno.ELOOP)
              + " (NOFOLLOW_LINKS specified)");
          x.initCause(new OverlayException(Errno.ELOOP, cp));
          throw x;
        }
        if (!write) {
          f = o.openRead(cp);
        } else if (create) {
          try {
            f = o.open(cp, true, truncate);
          } catch (OverlayException e) {
            if (e.errno() != Errno.ENOENT) {
              throw e;
            }
            f = o.create(cp, mode, -1, -1, false); // O_CREAT: made, or opened if made meanwhile
          }
        } else {
          f = o.open(cp, true, truncate);
        }
      }
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
    if (deleteOnClose) {
      // As the JDK's Unix provider: unlinked at once, the open file serves until closed.
      try {
        o.unlink(cp);
      } catch (OverlayException ignored) {
        // the JDK ignores this too
      }
    }
    OverlayFileChannel ch = new OverlayFileChannel(p.getFileSystem(), f, str(p), read, write,
        append, sync);
    p.getFileSystem().opened(ch);
    return ch;
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(Path dir,
      DirectoryStream.Filter<? super Path> filter) throws IOException {
    OverlayPath p = check(dir);
    List<DirEntry> entries;
    try {
      entries = ov(p).opendir(p.corePath()).entries();
    } catch (OverlayException e) {
      if (e.errno() == Errno.ENOTDIR) {
        throw Errors.withErrno(new NotDirectoryException(str(p)), Errno.ENOTDIR, str(p));
      }
      throw Errors.translate(e, str(p), null);
    }
    OverlayDirectoryStream s = new OverlayDirectoryStream(p.getFileSystem(), p, entries, filter);
    p.getFileSystem().opened(s);
    return s;
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    OverlayPath p = check(dir);
    int mode = createMode(p, 0777, attrs);
    requireWritable(p);
    try {
      ov(p).mkdir(p.corePath(), mode);
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  /** Not supported for links: the JDK's Unix provider refuses initial attributes there too. */
  @Override
  public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs)
      throws IOException {
    OverlayPath p = check(link);
    if (!(target instanceof OverlayPath)) {
      throw new ProviderMismatchException(target.getClass().getName());
    }
    if (attrs.length > 0) {
      throw new UnsupportedOperationException(
          "Initial file attributes not supported when creating symbolic link");
    }
    requireWritable(p);
    try {
      ov(p).symlink(target.toString(), p.corePath(), -1, -1);
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
  }

  @Override
  public void createLink(Path link, Path existing) throws IOException {
    OverlayPath p = check(link);
    OverlayPath q = check(existing);
    if (q.getFileSystem() != p.getFileSystem()) {
      throw Errors.of(Errno.EXDEV, str(p), str(q));
    }
    requireWritable(p);
    try {
      ov(p).link(q.corePath(), p.corePath());
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), str(q));
    }
  }

  @Override
  public Path readSymbolicLink(Path link) throws IOException {
    OverlayPath p = check(link);
    try {
      return p.getFileSystem().getPath(ov(p).readlink(p.corePath()));
    } catch (OverlayException e) {
      if (e.errno() == Errno.EINVAL) {
        throw Errors.withErrno(new NotLinkException(str(p)), Errno.EINVAL, str(p));
      }
      throw Errors.translate(e, str(p), null);
    }
  }

  /** unlink or rmdir, as the object is; ENOTEMPTY (or EEXIST) is DirectoryNotEmptyException. */
  @Override
  public void delete(Path path) throws IOException {
    OverlayPath p = check(path);
    requireWritable(p);
    Overlay o = ov(p);
    try {
      Stat st = o.getattr(p.corePath(), false);
      if (st.isDirectory()) {
        o.rmdir(p.corePath());
      } else {
        o.unlink(p.corePath());
      }
    } catch (OverlayException e) {
      if (e.errno() == Errno.EEXIST || e.errno() == Errno.ENOTEMPTY) {
        throw Errors.withErrno(new DirectoryNotEmptyException(str(p)), e.errno(), str(p));
      }
      throw Errors.translate(e, str(p), null);
    }
  }

  // ---- copy and move ----

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    OverlayPath s = check(source);
    OverlayPath t = check(target);
    boolean replace = false;
    boolean attrs = false;
    boolean follow = true;
    for (CopyOption o : options) {
      if (o == StandardCopyOption.REPLACE_EXISTING) {
        replace = true;
      } else if (o == StandardCopyOption.COPY_ATTRIBUTES) {
        attrs = true;
      } else if (o == LinkOption.NOFOLLOW_LINKS) {
        follow = false;
      } else if (o == null) {
        throw new NullPointerException();
      } else {
        throw new UnsupportedOperationException("Unsupported copy option: " + o);
      }
    }
    copy(s, t, replace, attrs, follow);
  }

  /**
   * As the JDK's Unix provider copies: the target is made with the source's mode (less the
   * umask), replaced only when asked (a non-empty directory cannot be), a directory copied
   * without its entries; with COPY_ATTRIBUTES owner (where allowed), exact mode, times and
   * extended attributes follow.
   */
  private void copy(OverlayPath s, OverlayPath t, boolean replace, boolean attrs,
      boolean follow) throws IOException {
    Stat a = stat(s, follow);
    String from = follow ? target(s, true) : s.corePath();
    Stat existing = lstatOrNull(t);
    if (existing != null) {
      if (s.getFileSystem() == t.getFileSystem() && existing.dev() == a.dev()
          && existing.ino() == a.ino()) {
        return; // the same file
      }
      if (!replace) {
        throw Errors.of(Errno.EEXIST, str(t), null);
      }
      delete(t);
    }
    requireWritable(t);
    Overlay so = ov(s);
    Overlay to = ov(t);
    String tp = t.corePath();
    int mode = a.mode() & ~t.getFileSystem().umask();
    try {
      switch (a.type()) {
        case DIRECTORY -> to.mkdir(tp, mode);
        case SYMLINK -> to.symlink(so.readlink(from), tp, -1, -1);
        case REGULAR -> {
          try (OverlayFile in = so.openRead(from);
              OverlayFile out = to.create(tp, mode, -1, -1, true)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            long pos = 0;
            for (int n; (n = in.read(buf.clear(), pos)) > 0; ) {
              buf.flip();
              while (buf.hasRemaining()) {
                out.write(buf, pos + buf.position()); // advances buf
              }
              pos += n;
            }
          }
        }
        default -> to.mknod(tp, a.type(), mode, a.rdev(), -1, -1);
      }
    } catch (OverlayException e) {
      throw Errors.translate(e, str(s), str(t));
    }
    if (attrs) {
      try {
        try {
          to.chown(tp, a.uid(), a.gid());
        } catch (OverlayException e) {
          // as the JDK: an owner that cannot be given is not an error of a copy
        }
        if (a.type() != FileType.SYMLINK) {
          to.chmod(tp, a.mode());
        }
        for (String name : so.listxattr(from)) {
          try {
            to.setxattr(tp, name, so.getxattr(from, name), 0);
          } catch (OverlayException e) {
            // as the JDK: attributes the target refuses are skipped
          }
        }
        to.utimens(tp, a.atimeNanos(), a.mtimeNanos());
      } catch (OverlayException e) {
        throw Errors.translate(e, str(t), null);
      }
    }
  }

  /**
   * As the JDK's Unix provider moves: one rename where possible; without REPLACE_EXISTING an
   * existing target is FileAlreadyExistsException (checked atomically, with RENAME_NOREPLACE),
   * and a target of the other kind (file for directory) is deleted first when replacing; where
   * the overlay refuses a rename (EXDEV: a directory with lower copies, without {@code
   * redirect_dir=on}) a file or empty directory is copied with its attributes and the source
   * deleted, and a non-empty directory is DirectoryNotEmptyException. ATOMIC_MOVE is one rename
   * or AtomicMoveNotSupportedException. An {@link OverlayCopyOption} makes it exactly one
   * renameat2 with that flag.
   */
  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    OverlayPath s = check(source);
    OverlayPath t = check(target);
    boolean replace = false;
    boolean atomic = false;
    int flags = 0;
    boolean raw = false;
    for (CopyOption o : options) {
      if (o == StandardCopyOption.REPLACE_EXISTING) {
        replace = true;
      } else if (o == StandardCopyOption.ATOMIC_MOVE) {
        atomic = true;
      } else if (o == StandardCopyOption.COPY_ATTRIBUTES || o == LinkOption.NOFOLLOW_LINKS) {
        continue; // a move keeps everything and never follows
      } else if (o instanceof OverlayCopyOption r) {
        flags |= r.flag();
        raw = true;
      } else if (o == null) {
        throw new NullPointerException();
      } else {
        throw new UnsupportedOperationException("Unsupported copy option: " + o);
      }
    }
    if (s.getFileSystem() != t.getFileSystem()) {
      if (atomic || raw) {
        throw Errors.withErrno(new AtomicMoveNotSupportedException(str(s), str(t),
            "Invalid cross-device link"), Errno.EXDEV, str(s));
      }
      Stat a = stat(s, false);
      if (a.isDirectory() && !ov(s).readdir(s.corePath()).isEmpty()) {
        throw Errors.withErrno(new DirectoryNotEmptyException(str(s)), Errno.ENOTEMPTY, str(s));
      }
      copy(s, t, replace, true, false);
      delete(s);
      return;
    }
    requireWritable(s);
    if (raw || atomic) {
      rename(s, t, flags, atomic);
      return;
    }
    Stat a = stat(s, false);
    Stat b = lstatOrNull(t);
    if (b != null) {
      if (b.dev() == a.dev() && b.ino() == a.ino()) {
        return; // the same file
      }
      if (!replace) {
        throw Errors.of(Errno.EEXIST, str(t), null);
      }
      if (a.isDirectory() != b.isDirectory()) {
        delete(t);
      }
    }
    try {
      rename(s, t, b == null ? Overlay.RENAME_NOREPLACE : 0, false);
    } catch (AtomicMoveNotSupportedException cannot) {
      if (a.isDirectory() && !ov(s).readdir(s.corePath()).isEmpty()) {
        throw Errors.withErrno(new DirectoryNotEmptyException(str(s)), Errno.ENOTEMPTY, str(s));
      }
      copy(s, t, true, true, false);
      delete(s);
    }
  }

  /** One renameat2; EXDEV is AtomicMoveNotSupportedException (the caller may copy instead). */
  private void rename(OverlayPath s, OverlayPath t, int flags, boolean atomic)
      throws IOException {
    try {
      ov(s).rename(s.corePath(), t.corePath(), flags);
    } catch (OverlayException e) {
      if (e.errno() == Errno.EXDEV) {
        AtomicMoveNotSupportedException x = new AtomicMoveNotSupportedException(str(s), str(t),
            Errors.strerror(Errno.EXDEV));
        x.initCause(e);
        throw x;
      }
      if (e.errno() == Errno.ENOTEMPTY) {
        DirectoryNotEmptyException x = new DirectoryNotEmptyException(str(t));
        x.initCause(e);
        throw x;
      }
      throw Errors.translate(e, str(s), str(t));
    }
  }

  // ---- queries ----

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    if (path.equals(path2)) {
      return true;
    }
    if (!(path2 instanceof OverlayPath q) || q.getFileSystem() != path.getFileSystem()) {
      return false;
    }
    OverlayPath p = check(path);
    Stat a = stat(p, true);
    Stat b = stat(check(q), true);
    return a.dev() == b.dev() && a.ino() == b.ino();
  }

  /** A name starting with {@code .}, as on Unix. */
  @Override
  public boolean isHidden(Path path) {
    OverlayPath p = check(path);
    OverlayPath name = p.getFileName();
    return name != null && name.toString().startsWith(".");
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    OverlayPath p = check(path);
    stat(p, true);
    return p.getFileSystem().store();
  }

  /**
   * access(2) from the merged attributes: root may read and write anything and execute what
   * has an execute bit (or is a directory); others get the owner, group or other bits. Writing
   * a read-only overlay is EROFS.
   */
  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    OverlayPath p = check(path);
    Stat st = stat(p, true);
    Principals.Credentials me = Principals.self();
    for (AccessMode m : modes) {
      if (m == AccessMode.WRITE && p.getFileSystem().isReadOnly()) {
        throw Errors.of(Errno.EROFS, str(p), null);
      }
      boolean ok;
      int bit = switch (m) {
        case READ -> 4;
        case WRITE -> 2;
        case EXECUTE -> 1;
      };
      if (me.uid() == 0) {
        ok = m != AccessMode.EXECUTE || st.isDirectory() || (st.mode() & 0111) != 0;
      } else if (me.uid() == st.uid()) {
        ok = (st.mode() & (bit << 6)) != 0;
      } else if (me.inGroup(st.gid())) {
        ok = (st.mode() & (bit << 3)) != 0;
      } else {
        ok = (st.mode() & bit) != 0;
      }
      if (!ok) {
        throw Errors.withErrno(new AccessDeniedException(str(p)), Errno.EACCES, str(p));
      }
    }
  }

  /** The path with every symlink resolved; {@code follow} false only makes it absolute and normal. */
  OverlayPath realPath(OverlayPath p, boolean follow) throws IOException {
    check(p);
    if (!follow) {
      OverlayPath n = p.toAbsolutePath().normalize();
      stat(n, false);
      return n;
    }
    Overlay o = ov(p);
    List<String> done = new ArrayList<>();
    java.util.Deque<String> todo = new java.util.ArrayDeque<>();
    for (String part : p.corePath().split("/")) {
      if (!part.isEmpty()) {
        todo.add(part);
      }
    }
    int links = 0;
    try {
      while (!todo.isEmpty()) {
        String part = todo.pollFirst();
        if (part.equals(".")) {
          continue;
        }
        if (part.equals("..")) {
          if (!done.isEmpty()) {
            done.remove(done.size() - 1);
          }
          continue;
        }
        String cur = "/" + String.join("/", done) + (done.isEmpty() ? "" : "/") + part;
        Stat st = o.getattr(cur, false);
        if (st.isSymlink()) {
          if (++links > 40) {
            throw new OverlayException(Errno.ELOOP, p.corePath());
          }
          String t = o.readlink(cur);
          if (t.startsWith("/")) {
            done.clear();
          }
          String[] parts = t.split("/");
          for (int i = parts.length - 1; i >= 0; i--) {
            if (!parts[i].isEmpty()) {
              todo.addFirst(parts[i]);
            }
          }
        } else {
          done.add(part);
        }
      }
    } catch (OverlayException e) {
      throw Errors.translate(e, str(p), null);
    }
    return p.getFileSystem().getPath("/" + String.join("/", done));
  }

  // ---- attributes ----

  @Override
  @SuppressWarnings("unchecked")
  public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type,
      LinkOption... options) {
    OverlayPath p = check(path);
    boolean follow = followLinks(options);
    AttributeViews.Posix posix = new AttributeViews.Posix(this, p, follow, "posix");
    if (type == BasicFileAttributeView.class) {
      return (V) AttributeViews.basic(posix);
    }
    if (type == PosixFileAttributeView.class) {
      return (V) posix;
    }
    if (type == FileOwnerAttributeView.class) {
      return (V) AttributeViews.owner(posix);
    }
    if (type == UserDefinedFileAttributeView.class) {
      return (V) new AttributeViews.User(new AttributeViews.Xattr(this, p, follow));
    }
    if (type == XattrView.class) {
      return (V) new AttributeViews.Xattr(this, p, follow);
    }
    return null;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type,
      LinkOption... options) throws IOException {
    if (type == BasicFileAttributes.class || type == PosixFileAttributes.class) {
      return (A) attributes(check(path), followLinks(options));
    }
    throw new UnsupportedOperationException(type.getName() + " not supported");
  }

  private static String[] viewAndNames(String attributes) {
    int colon = attributes.indexOf(':');
    String view = colon < 0 ? "basic" : attributes.substring(0, colon);
    String names = colon < 0 ? attributes : attributes.substring(colon + 1);
    if (!OverlayFileSystem.VIEWS.contains(view)) {
      throw new UnsupportedOperationException("View '" + view + "' not available");
    }
    return new String[] {view, names};
  }

  /**
   * Views {@code basic}, {@code posix}, {@code owner}, {@code unix} (as the JDK's: {@code dev,
   * ino, mode, uid, gid, nlink, rdev, ctime} beside posix's), {@code user} (values are byte
   * arrays) and {@code xattr} (full names).
   */
  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    OverlayPath p = check(path);
    boolean follow = followLinks(options);
    String[] vn = viewAndNames(attributes);
    String view = vn[0];
    if (view.equals("user")) {
      AttributeViews.User u = new AttributeViews.User(new AttributeViews.Xattr(this, p, follow));
      Map<String, Object> out = new LinkedHashMap<>();
      for (String n : vn[1].split(",")) {
        for (String name : n.equals("*") ? u.list() : List.of(n)) {
          ByteBuffer buf = ByteBuffer.allocate(u.size(name)); // as the JDK: size, then read
          u.read(name, buf);
          out.put(name, buf.array());
        }
      }
      return out;
    }
    if (view.equals("xattr")) {
      AttributeViews.Xattr x = new AttributeViews.Xattr(this, p, follow);
      Map<String, Object> out = new LinkedHashMap<>();
      for (String n : vn[1].split(",")) {
        for (String name : n.equals("*") ? x.list() : List.of(n)) {
          out.put(name, x.read(name));
        }
      }
      return out;
    }
    return attributes(p, follow).select(view, vn[1]);
  }

  /**
   * Sets {@code basic:lastModifiedTime|lastAccessTime|creationTime} (creation time cannot be
   * set and is ignored, as on Linux), {@code posix:permissions|owner|group}, {@code
   * owner:owner}, {@code unix:mode|uid|gid} (as the JDK's Unix provider), {@code user:NAME}
   * (a byte[] or ByteBuffer) and {@code xattr:NAME}.
   */
  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options)
      throws IOException {
    OverlayPath p = check(path);
    boolean follow = followLinks(options);
    String[] vn = viewAndNames(attribute);
    String view = vn[0];
    String name = vn[1];
    AttributeViews.Posix posix = new AttributeViews.Posix(this, p, follow, view);
    switch (view + ":" + name) {
      case "basic:lastModifiedTime", "posix:lastModifiedTime", "unix:lastModifiedTime" ->
          posix.setTimes((FileTime) value, null, null);
      case "basic:lastAccessTime", "posix:lastAccessTime", "unix:lastAccessTime" ->
          posix.setTimes(null, (FileTime) value, null);
      case "basic:creationTime", "posix:creationTime", "unix:creationTime" -> {
        // Linux has no settable birth time: ignored, as by the JDK
      }
      case "posix:permissions", "unix:permissions" -> posix.setPermissions(
          OverlayFileAttributes.permissions(OverlayFileAttributes.mode((Set<?>) value)));
      case "posix:owner", "unix:owner", "owner:owner" -> posix.setOwner((UserPrincipal) value);
      case "posix:group", "unix:group" -> posix.setGroup((GroupPrincipal) value);
      case "unix:mode" -> chmod(p, follow, (Integer) value & 07777);
      case "unix:uid" -> chown(p, follow, (Integer) value, -1);
      case "unix:gid" -> chown(p, follow, -1, (Integer) value);
      default -> {
        if (view.equals("user") || view.equals("xattr")) {
          byte[] v;
          if (value instanceof byte[] bytes) {
            v = bytes;
          } else if (value instanceof ByteBuffer bb) {
            v = new byte[bb.remaining()];
            bb.duplicate().get(v);
          } else {
            throw new ClassCastException("an extended attribute is a byte[] or a ByteBuffer");
          }
          if (view.equals("user")) {
            new AttributeViews.User(new AttributeViews.Xattr(this, p, follow))
                .write(name, ByteBuffer.wrap(v));
          } else {
            setxattr(p, follow, name, v, 0);
          }
        } else {
          throw new IllegalArgumentException("'" + attribute + "' not recognized");
        }
      }
    }
  }
}
