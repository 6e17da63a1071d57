package io.overlay4j.core.lookup;

import io.overlay4j.core.Errno;
import io.overlay4j.core.FileType;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.Stat;
import io.overlay4j.core.format.OciWhiteouts;
import io.overlay4j.core.format.OverlayXattrs;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.LayerStack;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves one name in a merged directory across the layers (the kernel's namei.c): upper
 * first, then the lower layers top down. The first non-directory wins and hides everything
 * below; directories merge until a non-directory, a whiteout or an opaque directory ends the
 * descent. A directory with a {@code redirect} continues its descent at the redirected path.
 */
public final class Lookup {
  private final LayerStack layers;
  private final OverlayXattrs xattrs;
  private final boolean ociWhiteouts;
  private final boolean followRedirects;
  private final boolean metacopy;
  private final LookupCache cache;
  /**
   * Lower layers in which a lookup has met a directory marked {@code opaque=x} (the kernel's
   * per-layer {@code has_xwhiteouts}): only their copies get xattr whiteouts hidden by readdir.
   */
  private final Set<Integer> layersWithXattrWhiteouts = ConcurrentHashMap.newKeySet();

  /** Where to probe for a copy of a name: a layer and a path in it. */
  /**
   * Where to probe for a copy of a name: a layer and a path in it. {@code unchecked} marks a
   * path from an absolute redirect, whose directories lookup has not walked: they are checked
   * to be real directories of the layer before anything there is read.
   */
  private record Probe(int layer, String path, boolean unchecked) {
    Probe(int layer, String path) {
      this(layer, path, false);
    }
  }

  public Lookup(LayerStack layers, OverlayXattrs xattrs, boolean ociWhiteouts,
      boolean followRedirects, boolean metacopy, LookupCache cache) {
    this.layers = layers;
    this.xattrs = xattrs;
    this.ociWhiteouts = ociWhiteouts;
    this.followRedirects = followRedirects;
    this.metacopy = metacopy;
    this.cache = cache;
  }

  public LookupCache cache() {
    return cache;
  }

  public LayerStack layers() {
    return layers;
  }

  /** The root of the overlay: every layer's root merged, stopping at an opaque one. */
  public MergedEntry root() throws IOException {
    MergedEntry cached = cache.get("/");
    if (cached != null) {
      return cached;
    }
    long epoch = cache.epoch();
    List<Probe> probes = new ArrayList<>();
    for (int i = layers.readOnly() ? layers.firstLower() : LayerStack.UPPER;
        i < layers.endOfLowers(); i++) {
      probes.add(new Probe(i, ""));
    }
    MergedEntry e = descend("/", probes, null);
    cache.put(e, epoch);
    return e;
  }

  /**
   * Records a non-directory just made in the upper layer at {@code upperPath} with attributes
   * {@code st} as what {@code mergedPath} now resolves to, sparing the next lookup. The caller
   * holds the mutation lock; lookups that started before see the epoch move and store nothing.
   */
  public MergedEntry created(String mergedPath, String upperPath, Stat st) {
    MergedEntry e = new MergedEntry(mergedPath,
        List.of(new MergedEntry.Copy(LayerStack.UPPER, upperPath, st)), false, false);
    cache.invalidate(mergedPath);
    cache.put(e, cache.epoch());
    return e;
  }

  /** Resolves {@code name} in the merged directory {@code dir}. */
  public MergedEntry child(MergedEntry dir, String name) throws IOException {
    String path = dir.path().equals("/") ? "/" + name : dir.path() + "/" + name;
    MergedEntry cached = cache.get(path);
    if (cached != null) {
      return cached;
    }
    long epoch = cache.epoch();
    List<Probe> probes = new ArrayList<>(dir.copies().size());
    for (MergedEntry.Copy c : dir.copies()) {
      probes.add(new Probe(c.layer(), Layer.child(c.path(), name)));
    }
    MergedEntry e = ociWhiteouts && OciWhiteouts.isMarker(name)
        ? new MergedEntry(path, List.of(), false, false)
        : descend(path, probes, dir);
    cache.put(e, epoch);
    return e;
  }

  private MergedEntry descend(String mergedPath, List<Probe> probes, MergedEntry parent)
      throws IOException {
    List<MergedEntry.Copy> copies = new ArrayList<>(2);
    boolean opaque = false;
    boolean xattrWhiteouts = false;
    for (int i = 0; i < probes.size(); i++) {
      Probe p = probes.get(i);
      Layer layer = layers.get(p.layer());
      if (p.unchecked() && !isDirectoryChain(layer, Layer.parent(p.path()))) {
        continue;
      }
      Stat st = layer.stat(p.path());
      if (st == null) {
        if (ociWhiteouts && !p.path().isEmpty() && ociMarkerFits(p.path()) && layer.stat(Layer.child(
            Layer.parent(p.path()), OciWhiteouts.whiteoutFor(Layer.fileName(p.path())))) != null) {
          break;
        }
        continue;
      }
      if (isWhiteout(layer, p.path(), st)) {
        break;
      }
      if (!st.isDirectory()) {
        if (copies.isEmpty()) {
          copies.add(new MergedEntry.Copy(p.layer(), p.path(), st));
          if (metacopy && st.isRegularFile()
              && layer.getXattr(p.path(), xattrs.metacopy()) != null) {
            // Metadata only: the data is the next regular file below, or where it redirects.
            byte[] redirect = layer.getXattr(p.path(), xattrs.redirect());
            if (redirect != null) {
              probes = redirectedProbes(p.layer(), OverlayXattrs.redirectTarget(redirect),
                  parent, layers.size());
              i = -1;
            }
            continue;
          }
        } else if (!copies.get(0).stat().isDirectory() && st.isRegularFile()) {
          if (layer.getXattr(p.path(), xattrs.metacopy()) != null) {
            // A metacopy stub below (a reused upper): its data is further down.
            byte[] redirect = layer.getXattr(p.path(), xattrs.redirect());
            if (redirect != null) {
              probes = redirectedProbes(p.layer(), OverlayXattrs.redirectTarget(redirect),
                  parent, layers.size());
              i = -1;
            }
            continue;
          }
          copies.add(new MergedEntry.Copy(p.layer(), p.path(), st));
        }
        break;
      }
      if (!copies.isEmpty() && !copies.get(0).stat().isDirectory()) {
        break; // a metacopy file's data must be a regular file
      }
      copies.add(new MergedEntry.Copy(p.layer(), p.path(), st));
      if (p.layer() == layers.endOfLowers() - 1) {
        // The bottom layer: nothing below to hide or redirect to, so the kernel reads neither
        // its opaque nor its redirect xattr (ovl_lookup_single: d->last).
        break;
      }
      // One listxattr tells whether the directory has any of the overlay's xattrs (almost
      // none do): one syscall instead of a getxattr each for opaque and redirect.
      List<String> names = layer.listXattrs(p.path());
      boolean hasOpaque = names.contains(xattrs.opaque());
      boolean hasRedirect = names.contains(xattrs.redirect());
      byte[] mark = hasOpaque ? layer.getXattr(p.path(), xattrs.opaque()) : null;
      if (OverlayXattrs.isOpaqueValue(mark) || ociWhiteouts
          && layer.stat(Layer.child(p.path(), OciWhiteouts.OPAQUE_MARKER)) != null) {
        opaque = copies.size() == 1;
        break;
      }
      // The kernel reads "x" only in lower layers that are not the bottom one.
      if (OverlayXattrs.holdsXattrWhiteouts(mark) && p.layer() != LayerStack.UPPER
          && p.layer() != layers.endOfLowers() - 1) {
        xattrWhiteouts = true;
        layersWithXattrWhiteouts.add(p.layer());
      }
      byte[] redirect = hasRedirect ? layer.getXattr(p.path(), xattrs.redirect()) : null;
      if (redirect != null) {
        if (!followRedirects) {
          throw new OverlayException(Errno.EPERM, mergedPath,
              "redirected directory and redirect_dir=nofollow");
        }
        probes = redirectedProbes(p.layer(), OverlayXattrs.redirectTarget(redirect), parent,
            layers.endOfLowers());
        i = -1;
      }
    }
    return new MergedEntry(mergedPath, copies, opaque, xattrWhiteouts);
  }

  /** Where a directory redirected in layer {@code from} has its copies in the layers below. */
  private List<Probe> redirectedProbes(int from, String target, MergedEntry parent, int end)
      throws OverlayException {
    requireSafeRedirect(target);
    List<Probe> probes = new ArrayList<>();
    if (target.startsWith("/")) {
      String rel = target.substring(1);
      for (int i = Math.max(from + 1, layers.firstLower()); i < end; i++) {
        probes.add(new Probe(i, rel, true));
      }
    } else if (parent != null) {
      for (MergedEntry.Copy c : parent.copies()) {
        if (c.layer() > from) {
          probes.add(new Probe(c.layer(), Layer.child(c.path(), target)));
        }
      }
    }
    return probes;
  }

  /**
   * A redirect comes from a layer's xattrs, so it may be hostile: it must name a path inside the
   * layer ("." or ".." components or a relative path with a slash would lead elsewhere).
   */
  private static void requireSafeRedirect(String target) throws OverlayException {
    boolean absolute = target.startsWith("/");
    String body = absolute ? target.substring(1) : target;
    boolean bad = body.isEmpty() || body.indexOf('\0') >= 0 || !absolute && body.contains("/");
    for (String part : body.split("/", -1)) {
      bad |= part.isEmpty() || part.equals(".") || part.equals("..");
    }
    if (bad) {
      throw new OverlayException(Errno.EIO, null, "invalid redirect \"" + target + "\" in a layer");
    }
  }

  /** Whether {@code .wh.NAME} for the last name of {@code path} is a legal name at all. */
  private static boolean ociMarkerFits(String path) {
    return Layer.fileName(path).getBytes(java.nio.charset.StandardCharsets.UTF_8).length
        + OciWhiteouts.PREFIX.length() <= PathResolver.NAME_MAX;
  }

  /** Whether every component of {@code dir} is a directory (not a symlink) of the layer. */
  private static boolean isDirectoryChain(Layer layer, String dir) throws IOException {
    String prefix = "";
    for (String part : dir.isEmpty() ? new String[0] : dir.split("/")) {
      prefix = Layer.child(prefix, part);
      Stat st = layer.stat(prefix);
      if (st == null || !st.isDirectory()) {
        return false;
      }
    }
    return true;
  }

  /** A char 0/0 device, or an empty regular file carrying the whiteout xattr. */
  public boolean isWhiteout(Layer layer, String path, Stat st) throws IOException {
    if (st.type() == FileType.CHAR_DEVICE) {
      return st.rdev() == 0;
    }
    return st.isRegularFile() && st.size() == 0 && isXattrWhiteout(layer, path);
  }

  /**
   * Whether readdir hides the xattr whiteouts of one copy of a merged directory: the directory
   * has a lower copy marked "x" and the copy's layer has shown one to a lookup, as the kernel
   * decides it (upper copies are never filtered).
   */
  public boolean hidesXattrWhiteouts(MergedEntry dir, MergedEntry.Copy copy) {
    return dir.hasXattrWhiteouts() && copy.layer() != LayerStack.UPPER
        && layersWithXattrWhiteouts.contains(copy.layer());
  }

  /** Whether an empty regular file of a layer carries the whiteout xattr. */
  public boolean isXattrWhiteout(Layer layer, String path) throws IOException {
    return layer.getXattr(path, xattrs.whiteout()) != null;
  }
}
