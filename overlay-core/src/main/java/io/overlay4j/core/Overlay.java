package io.overlay4j.core;

import io.overlay4j.core.format.OverlayXattrs;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.LayerStack;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.lookup.Attributes;
import io.overlay4j.core.lookup.Lookup;
import io.overlay4j.core.lookup.LookupCache;
import io.overlay4j.core.lookup.MergedEntry;
import io.overlay4j.core.lookup.PathResolver;
import io.overlay4j.core.readdir.MergedDirectory;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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

  private Overlay(Builder b) throws IOException {
    this.layers = new LayerStack(b.upper, b.work, b.lowers, b.dataLayers);
    this.xattrs = OverlayXattrs.of(b.userXattr);
    LookupCache cache = new LookupCache(b.lookupCacheSize);
    this.lookup = new Lookup(layers, xattrs, b.ociWhiteouts, b.followRedirects, cache);
    this.resolver = new PathResolver(lookup);
    long device = layers.get(layers.readOnly() ? layers.firstLower() : LayerStack.UPPER)
        .stat("").dev();
    this.attributes = new Attributes(layers, xattrs, device);
    this.directories = new MergedDirectory(lookup, attributes, b.ociWhiteouts);
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
    return new OverlayFile(e.path(), layer(e).open(e.top().path(), false), false);
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
        c.maximumSize(), 0, 0, 0);
  }

  @Override
  public void close() {}

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

    /** How many lookups to cache (0: none). */
    public Builder lookupCacheSize(int entries) {
      this.lookupCacheSize = entries;
      return this;
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
