package io.overlay4j.core;

import io.overlay4j.core.config.OverlayConfig;
import io.overlay4j.core.config.OverlayConfigException;
import io.overlay4j.core.config.RedirectDir;
import io.overlay4j.core.config.WhiteoutFormat;
import io.overlay4j.core.config.Xino;
import io.overlay4j.core.copyup.CopyUp;
import io.overlay4j.core.copyup.WorkDir;
import io.overlay4j.core.dir.Namespace;
import io.overlay4j.core.format.OverlayXattrs;
import io.overlay4j.core.layer.HostLayer;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.LayerStack;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.lookup.Attributes;
import io.overlay4j.core.lookup.Lookup;
import io.overlay4j.core.lookup.LookupCache;
import io.overlay4j.core.lookup.MergedEntry;
import io.overlay4j.core.lookup.PathResolver;
import io.overlay4j.core.os.OsAccess;
import io.overlay4j.core.readdir.MergedDirectory;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A mounted overlay as a library object: every POSIX operation on the merged view, by absolute
 * path ({@code /} is the overlay root). Errors are {@link OverlayException}s carrying the errno
 * the kernel's overlayfs gives. Thread-safe.
 */
public final class Overlay implements Closeable {
  private final LayerStack layers;
  private final OverlayXattrs xattrs;
  private final Lookup lookup;
  private final PathResolver resolver;
  private final Attributes attributes;
  private final MergedDirectory directories;
  private final WorkDir work;
  private final CopyUp copyUp;
  private final Namespace namespace;
  private final boolean metacopy;
  /** Serializes every change of the merged view; lookups and file I/O never take it. */
  private final ReentrantLock mutation = new ReentrantLock();

  private Overlay(Builder b) throws IOException {
    this.layers = new LayerStack(b.upper, b.work, b.lowers, b.dataLayers);
    this.xattrs = OverlayXattrs.of(b.userXattr);
    this.metacopy = b.metacopy;
    LookupCache cache = new LookupCache(b.lookupCacheSize);
    this.lookup = new Lookup(layers, xattrs, b.ociWhiteouts, b.followRedirects, b.metacopy,
        cache);
    this.resolver = new PathResolver(lookup);
    long device = layers.get(layers.readOnly() ? layers.firstLower() : LayerStack.UPPER)
        .stat("").dev();
    this.attributes = new Attributes(layers, xattrs, device);
    this.directories = new MergedDirectory(lookup, attributes, b.ociWhiteouts);
    if (layers.readOnly()) {
      this.work = null;
      this.copyUp = null;
      this.namespace = null;
    } else {
      this.work = new WorkDir(layers.work());
      work.clean();
      this.copyUp = new CopyUp(layers, work, xattrs, lookup, resolver, attributes,
          !b.volatileMode);
      this.namespace = new Namespace(layers, work, xattrs, lookup, copyUp, new Namespace.Settings(
          b.ociWhiteouts, b.createRedirects, b.opaqueNewDirs, b.metacopy));
    }
  }

  /**
   * Opens an overlay of host directories, configured as {@code mount -t overlay} would be:
   * {@code Overlay.open(OverlayConfig.parse("lowerdir=/l1:/l2,upperdir=/u,workdir=/w"))}.
   * Validates the configuration first and prepares the work directory as the kernel does.
   */
  public static Overlay open(OverlayConfig config) throws IOException {
    config = config.validate();
    if (config.index() || config.nfsExport()) {
      throw new OverlayConfigException("index",
          "index=on (and nfs_export=on, which needs it) is not supported by overlay4j yet");
    }
    OsAccess os = OsAccess.system();
    Builder b = builder();
    for (Path p : config.lowerDirs()) {
      b.lower(new HostLayer(p, os));
    }
    for (Path p : config.dataDirs()) {
      b.dataLayer(new HostLayer(p, os));
    }
    if (config.upperDir().isPresent()) {
      Path work = config.workDir().orElseThrow().resolve("work");
      if (!Files.isDirectory(work, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(work);
        // The kernel makes work/ inaccessible to anyone but the mounter (root).
        Files.setPosixFilePermissions(work, "root".equals(System.getProperty("user.name"))
            ? Set.of() : PosixFilePermissions.fromString("rwx------"));
      }
      if (config.volatileMode()) {
        Files.createDirectories(work.resolve("incompat/volatile"));
        Files.write(work.resolve("incompat/volatile/dirty"), new byte[0]);
      }
      b.upper(new HostLayer(config.upperDir().get(), os), new HostLayer(work, os));
    }
    return b.options(config).build();
  }

  /** An overlay of layer objects (in-memory layers, or layers of your own). */
  public static Builder builder() {
    return new Builder();
  }

  // ---- reading ----

  /** {@code lstat}: the attributes of the object at {@code path}, not following a last symlink. */
  public Stat getattr(String path) throws IOException {
    return getattr(path, false);
  }

  /** {@code stat} or {@code lstat}, as {@code followLinks} says. */
  public Stat getattr(String path, boolean followLinks) throws IOException {
    return attributes.of(resolver.resolve(path, followLinks).require());
  }

  /** Whether anything is at {@code path} (not following a last symlink). */
  public boolean exists(String path) throws IOException {
    try {
      return resolver.resolve(path, false).entry().exists();
    } catch (OverlayException e) {
      if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
        return false;
      }
      throw e;
    }
  }

  /** The merged listing of a directory, without {@code .} and {@code ..}. */
  public List<DirEntry> readdir(String path) throws IOException {
    MergedEntry dir = requireDirectory(path);
    return directories.list(dir);
  }

  /** Opens a directory for reading with resumable offsets. */
  public OverlayDirectory opendir(String path) throws IOException {
    MergedEntry dir = requireDirectory(path);
    return new OverlayDirectory(() -> directories.list(current(dir.path())));
  }

  public String readlink(String path) throws IOException {
    MergedEntry e = resolver.resolve(path, false).require();
    if (!e.top().stat().isSymlink()) {
      throw new OverlayException(Errno.EINVAL, path, "not a symbolic link");
    }
    return layer(e).readLink(e.top().path());
  }

  /** Opens a regular file for reading (following a last symlink, as open(2) does). */
  public OverlayFile openRead(String path) throws IOException {
    MergedEntry e = resolver.resolve(path, true).require();
    if (e.isDirectory()) {
      throw new OverlayException(Errno.EISDIR, path);
    }
    MergedEntry.Copy data = e.dataCopy();
    LayerFile f = layers.get(data.layer()).open(data.path(), false);
    if (data.layer() == LayerStack.UPPER || copyUp == null) {
      return new OverlayFile(e.path(), f, false, attributes.of(e));
    }
    return new OverlayFile(e.path(), f, false, attributes.of(e), new OverlayFile.CopyUpWatch() {
      @Override
      public long generation() {
        return copyUp.generation();
      }

      @Override
      public LayerFile reopenUpper(String path, Stat openedAs) throws IOException {
        MergedEntry now;
        try {
          now = resolver.resolve(path, false).entry();
        } catch (OverlayException gone) {
          return null;
        }
        if (!now.exists() || now.dataCopy().layer() != LayerStack.UPPER
            || attributes.of(now).ino() != openedAs.ino()) {
          return null;
        }
        return layers.upper().open(now.top().path(), false);
      }
    });
  }

  /** An extended attribute's value; ENODATA when absent or private to the overlay. */
  public byte[] getxattr(String path, String name) throws IOException {
    MergedEntry e = resolver.resolve(path, false).require();
    byte[] value = layer(e).getXattr(e.top().path(), xattrs.toStored(name));
    if (value == null) {
      throw new OverlayException(Errno.ENODATA, path, name);
    }
    return value;
  }

  /** The names of the object's extended attributes, the overlay's private ones hidden. */
  public List<String> listxattr(String path) throws IOException {
    MergedEntry e = resolver.resolve(path, false).require();
    List<String> out = new ArrayList<>();
    for (String stored : layer(e).listXattrs(e.top().path())) {
      String visible = xattrs.toVisible(stored);
      if (visible != null) {
        out.add(visible);
      }
    }
    return out;
  }

  /** File system figures of the upper layer (of the top lower layer when read-only). */
  public StatFs statfs() throws IOException {
    StatFs s = layers.get(layers.readOnly() ? layers.firstLower() : LayerStack.UPPER).statFs();
    return new StatFs(s.blockSize(), s.fragmentSize(), s.blocks(), s.blocksFree(),
        s.blocksAvailable(), s.files(), s.filesFree(), s.nameMax(),
        StatFs.OVERLAYFS_SUPER_MAGIC);
  }

  public boolean readOnly() {
    return layers.readOnly();
  }

  public OverlayStats stats() {
    LookupCache c = lookup.cache();
    return new OverlayStats(c.hits() + c.misses(), c.hits(), c.misses(), c.size(),
        c.maximumSize(), copyUp == null ? 0 : copyUp.copyUps(),
        copyUp == null ? 0 : copyUp.bytesCopied(),
        namespace == null ? 0 : namespace.whiteoutsWritten());
  }


  // ---- changing ----

  /** {@code UTIME_OMIT}: leave that time as it is. */
  public static final long OMIT = -1;
  /** {@code setxattr} flag: fail with EEXIST if the attribute exists. */
  public static final int XATTR_CREATE = 1;
  /** {@code setxattr} flag: fail with ENODATA if the attribute does not exist. */
  public static final int XATTR_REPLACE = 2;
  /** {@code renameat2} flag: fail with EEXIST if the target exists. */
  public static final int RENAME_NOREPLACE = WritableLayer.RENAME_NOREPLACE;
  /** {@code renameat2} flag: swap source and target. */
  public static final int RENAME_EXCHANGE = WritableLayer.RENAME_EXCHANGE;

  /**
   * Opens a regular file (following a last symlink). Opening for writing copies the file up
   * first, even if nothing is written, as the kernel does; {@code truncate} empties it.
   */
  public OverlayFile open(String path, boolean write, boolean truncate) throws IOException {
    if (!write) {
      return openRead(path);
    }
    return mutate(() -> {
      MergedEntry e = resolver.resolve(path, true).require();
      if (e.isDirectory()) {
        throw new OverlayException(Errno.EISDIR, path);
      }
      if (!e.top().stat().isRegularFile()) {
        throw new OverlayException(Errno.ENXIO, path, "not a regular file");
      }
      MergedEntry up = copyUp.copyUp(e, truncate ? CopyUp.Data.NONE : CopyUp.Data.FULL);
      if (truncate && copyUp.isMetacopy(up)) {
        layers.upper().removeXattr(up.top().path(), xattrs.metacopy());
        lookup.cache().invalidate(up.path());
      }
      return openUpper(up, truncate);
    });
  }

  /**
   * Creates a regular file and opens it for writing; with {@code exclusive} false an existing
   * file is opened instead (O_CREAT without O_EXCL).
   */
  public OverlayFile create(String path, int mode, int uid, int gid, boolean exclusive)
      throws IOException {
    return mutate(() -> {
      PathResolver.Resolution r = resolver.resolve(path, !exclusive);
      if (r.entry().exists()) {
        if (exclusive) {
          throw new OverlayException(Errno.EEXIST, path);
        }
        return open(path, true, false);
      }
      Namespace.Created c = namespace.createOpen(r,
          new Namespace.NewObject(FileType.REGULAR, mode, 0, null, uid, gid));
      return new OverlayFile(c.entry().path(), c.file(), true, attributes.ofCreated(c.entry()));
    });
  }

  public void mkdir(String path, int mode) throws IOException {
    mkdir(path, mode, -1, -1);
  }

  /** Makes a directory owned by {@code uid}/{@code gid} (-1: the overlay process's). */
  public void mkdir(String path, int mode, int uid, int gid) throws IOException {
    make(path, new Namespace.NewObject(FileType.DIRECTORY, mode, 0, null, uid, gid));
  }

  /** Makes a device node, FIFO or socket. A char device 0/0 is refused (EPERM). */
  public void mknod(String path, FileType type, int mode, long rdev, int uid, int gid)
      throws IOException {
    if (type == FileType.DIRECTORY || type == FileType.SYMLINK || type == FileType.REGULAR
        && rdev != 0) {
      throw new OverlayException(Errno.EINVAL, path, "mknod of a " + type);
    }
    make(path, new Namespace.NewObject(type, mode, rdev, null, uid, gid));
  }

  /** Makes a symbolic link at {@code path} pointing at {@code target}. */
  public void symlink(String target, String path, int uid, int gid) throws IOException {
    if (target.isEmpty()) {
      throw new OverlayException(Errno.ENOENT, path, "empty symlink target");
    }
    make(path, new Namespace.NewObject(FileType.SYMLINK, 0777, 0, target, uid, gid));
  }

  /** A new name {@code newPath} for the non-directory {@code existing}. */
  public void link(String existing, String newPath) throws IOException {
    mutate(() -> {
      // do_linkat(): the source must exist before the new name's parent is looked up.
      PathResolver.Resolution from = resolver.resolve(existing, false);
      from.require();
      namespace.link(from, resolver.resolve(newPath, false));
      return null;
    });
  }

  public void unlink(String path) throws IOException {
    mutate(() -> {
      namespace.unlink(resolver.resolve(path, false));
      return null;
    });
  }

  public void rmdir(String path) throws IOException {
    mutate(() -> {
      namespace.rmdir(resolver.resolve(path, false));
      return null;
    });
  }

  /**
   * {@code renameat2}: flags 0, {@link #RENAME_NOREPLACE} or {@link #RENAME_EXCHANGE}
   * ({@code RENAME_WHITEOUT} is EINVAL on an overlay, after the checks of the names).
   */
  public void rename(String from, String to, int flags) throws IOException {
    Namespace.checkRenameFlags(from, flags); // do_renameat2(): before any lookup
    mutate(() -> {
      namespace.rename(resolver.resolve(from, false), resolver.resolve(to, false), flags);
      return null;
    });
  }

  /** Sets the permission bits (following a last symlink, as chmod(2) does). */
  public void chmod(String path, int mode) throws IOException {
    changeAttributes(path, true, (upper, rel) -> upper.chmod(rel, mode & 07777));
  }

  /** Sets owner and group (-1 leaves one as it is), not following a last symlink. */
  public void chown(String path, int uid, int gid) throws IOException {
    changeAttributes(path, false, (upper, rel) -> upper.chown(rel, uid, gid));
  }

  /** Sets access and modification times in epoch nanoseconds ({@link #OMIT} leaves one). */
  public void utimens(String path, long atimeNanos, long mtimeNanos) throws IOException {
    changeAttributes(path, false, (upper, rel) -> upper.setTimes(rel, atimeNanos, mtimeNanos));
  }

  /** Sets a regular file's size (following a last symlink). */
  public void truncate(String path, long size) throws IOException {
    if (size < 0) {
      throw new OverlayException(Errno.EINVAL, path, "negative size");
    }
    // vfs_truncate(): EISDIR for a directory, EINVAL for anything else not a regular file,
    // without opening it.
    MergedEntry e = resolver.resolve(path, true).require();
    if (e.isDirectory()) {
      throw new OverlayException(Errno.EISDIR, path);
    }
    if (!e.top().stat().isRegularFile()) {
      throw new OverlayException(Errno.EINVAL, path, "not a regular file");
    }
    try (OverlayFile f = open(path, true, size == 0)) {
      f.truncate(size);
    }
  }

  /** Sets an extended attribute; a {@code trusted.overlay.X} name is stored escaped. */
  public void setxattr(String path, String name, byte[] value, int flags) throws IOException {
    requireXattrPermission(resolver.resolve(path, false).require(), path, name);
    changeAttributes(path, false, (upper, rel) -> {
      String stored = xattrs.toStored(name);
      boolean exists = upper.getXattr(rel, stored) != null;
      if ((flags & XATTR_CREATE) != 0 && exists) {
        throw new OverlayException(Errno.EEXIST, path, name);
      }
      if ((flags & XATTR_REPLACE) != 0 && !exists) {
        throw new OverlayException(Errno.ENODATA, path, name);
      }
      upper.setXattr(rel, stored, value);
    });
  }

  public void removexattr(String path, String name) throws IOException {
    MergedEntry e = resolver.resolve(path, false).require();
    requireXattrPermission(e, path, name);
    if (layer(e).getXattr(e.top().path(), xattrs.toStored(name)) == null) {
      throw new OverlayException(Errno.ENODATA, path, name); // nothing to remove: no copy-up
    }
    changeAttributes(path, false, (upper, rel) -> upper.removeXattr(rel, xattrs.toStored(name)));
  }

  /**
   * xattr_permission(): {@code user.*} attributes only on regular files and directories; the
   * VFS refuses writing them elsewhere (EPERM) before the overlay copies anything up.
   */
  private static void requireXattrPermission(MergedEntry e, String path, String name)
      throws OverlayException {
    if (name.startsWith("user.")) {
      Stat st = e.top().stat();
      if (!st.isRegularFile() && !st.isDirectory()) {
        throw new OverlayException(Errno.EPERM, path, "user.* attributes on a " + st.type());
      }
    }
  }

  /** A change of one object's attributes: copy it up (metadata only with metacopy=on), then apply. */
  private void changeAttributes(String path, boolean follow, AttributeChange change)
      throws IOException {
    mutate(() -> {
      MergedEntry e = resolver.resolve(path, follow).require();
      CopyUp.Data data = metacopy ? CopyUp.Data.META : CopyUp.Data.FULL;
      MergedEntry up = copyUp.copyUp(e, data);
      change.apply(layers.upper(), up.top().path());
      lookup.cache().invalidate(up.path());
      return null;
    });
  }

  @FunctionalInterface
  private interface AttributeChange {
    void apply(WritableLayer upper, String rel) throws IOException;
  }

  @FunctionalInterface
  private interface Mutation<T> {
    T run() throws IOException;
  }

  private <T> T mutate(Mutation<T> m) throws IOException {
    if (layers.readOnly()) {
      throw new OverlayException(Errno.EROFS, null, "the overlay has no upper layer");
    }
    mutation.lock();
    try {
      return m.run();
    } finally {
      mutation.unlock();
    }
  }

  private void make(String path, Namespace.NewObject o) throws IOException {
    mutate(() -> {
      namespace.create(resolver.resolve(path, false), o);
      return null;
    });
  }

  private OverlayFile openUpper(MergedEntry up, boolean truncate) throws IOException {
    LayerFile f = layers.upper().open(up.top().path(), true);
    if (truncate) {
      f.truncate(0);
    }
    return new OverlayFile(up.path(), f, true, attributes.of(up));
  }

  /** Releases what the overlay keeps in its work directory; the layers stay as they are. */
  @Override
  public void close() throws IOException {
    if (work != null) {
      mutation.lock();
      try {
        work.close();
      } finally {
        mutation.unlock();
      }
    }
  }

  // ---- internals ----

  private Layer layer(MergedEntry e) {
    return layers.get(e.top().layer());
  }

  private MergedEntry requireDirectory(String path) throws IOException {
    MergedEntry e = resolver.resolve(path, true).require();
    if (!e.isDirectory()) {
      throw new OverlayException(Errno.ENOTDIR, path);
    }
    return e;
  }

  /** The entry a directory handle lists again on a rewind: the directory as it is now. */
  private MergedEntry current(String mergedPath) throws IOException {
    return requireDirectory(mergedPath);
  }

  /** Assembles an overlay from layer objects and options. */
  public static final class Builder {
    private final List<Layer> lowers = new ArrayList<>();
    private final List<Layer> dataLayers = new ArrayList<>();
    private WritableLayer upper;
    private WritableLayer work;
    private boolean userXattr;
    private boolean ociWhiteouts;
    private boolean followRedirects = true;
    private boolean createRedirects;
    private boolean opaqueNewDirs;
    private boolean metacopy;
    private boolean volatileMode;
    private int lookupCacheSize = 65536;

    private Builder() {}

    /** Adds a lower layer below those added before (the first one added is the topmost). */
    public Builder lower(Layer layer) {
      lowers.add(Objects.requireNonNull(layer));
      return this;
    }

    /** Adds a data-only layer: reached only through metacopy redirects. */
    public Builder dataLayer(Layer layer) {
      dataLayers.add(Objects.requireNonNull(layer));
      return this;
    }

    /** The writable upper layer and its work directory; without them the overlay is read-only. */
    public Builder upper(WritableLayer upper, WritableLayer work) {
      this.upper = Objects.requireNonNull(upper);
      this.work = Objects.requireNonNull(work);
      return this;
    }

    /** Use {@code user.overlay.*} instead of {@code trusted.overlay.*} (option userxattr). */
    public Builder userXattr(boolean on) {
      this.userXattr = on;
      return this;
    }

    /** Read OCI {@code .wh.} whiteouts (option whiteout=oci). */
    public Builder ociWhiteouts(boolean on) {
      this.ociWhiteouts = on;
      return this;
    }

    /** Follow {@code redirect} xattrs (false: refuse redirected directories, as nofollow). */
    public Builder followRedirects(boolean on) {
      this.followRedirects = on;
      return this;
    }

    /** Move directories that have lower copies by writing redirects (redirect_dir=on). */
    public Builder createRedirects(boolean on) {
      this.createRedirects = on;
      return this;
    }

    /**
     * Make every new directory in a merged parent opaque, as the kernel does with
     * redirect_dir=on, index=on, metacopy=on or xino=on.
     */
    public Builder opaqueNewDirectories(boolean on) {
      this.opaqueNewDirs = on;
      return this;
    }

    /** Copy up metadata only for attribute changes, links and renames (metacopy=on). */
    public Builder metacopy(boolean on) {
      this.metacopy = on;
      return this;
    }

    /** Never fsync copied-up data (the volatile option). */
    public Builder volatileMode(boolean on) {
      this.volatileMode = on;
      return this;
    }

    /** How many lookups to cache (0: none). */
    public Builder lookupCacheSize(int entries) {
      this.lookupCacheSize = entries;
      return this;
    }

    /**
     * Applies a configuration's options (not its directories) as {@link Overlay#open} does:
     * for an overlay of layer objects configured with the kernel's option names, e.g. by the
     * {@code overlay} file system provider. {@code index} and {@code nfs_export} are refused.
     */
    public Builder options(OverlayConfig config) {
      if (config.index() || config.nfsExport()) {
        throw new OverlayConfigException("index",
            "index=on (and nfs_export=on, which needs it) is not supported by overlay4j yet");
      }
      RedirectDir redirect = config.redirectDir();
      return userXattr(config.userXattr())
          .ociWhiteouts(config.whiteoutFormat() == WhiteoutFormat.OCI)
          .followRedirects(redirect.follows())
          .createRedirects(redirect.creates())
          .metacopy(config.metacopy())
          .volatileMode(config.volatileMode())
          .opaqueNewDirectories(redirect.creates() || config.metacopy()
              || config.xino() == Xino.ON)
          .lookupCacheSize(config.lookupCacheSize());
    }

    public Overlay build() throws IOException {
      if (lowers.isEmpty()) {
        throw new IllegalStateException("an overlay needs at least one lower layer");
      }
      if (upper == null && lowers.size() < 2) {
        throw new IllegalStateException("a read-only overlay needs at least two lower layers");
      }
      return new Overlay(this);
    }
  }
}
