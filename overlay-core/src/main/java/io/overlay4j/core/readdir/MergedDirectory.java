package io.overlay4j.core.readdir;

import io.overlay4j.core.DirEntry;
import io.overlay4j.core.FileType;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.Stat;
import io.overlay4j.core.format.OciWhiteouts;
import io.overlay4j.core.lookup.Attributes;
import io.overlay4j.core.lookup.Lookup;
import io.overlay4j.core.lookup.MergedEntry;
import io.overlay4j.core.layer.Layer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds the listing of a merged directory (the kernel's readdir.c): the union of the names of
 * every copy, topmost first; whiteouts hide their name in the copies below and are not listed;
 * an opaque copy ends the union (lookup already cut the copies below it). A directory with one
 * copy is passed through unfiltered, as the kernel does. Each entry carries the type and inode
 * number that a stat of it reports.
 */
public final class MergedDirectory {
  private static final java.util.Comparator<Layer.Entry> BY_NAME =
      java.util.Comparator.comparing(Layer.Entry::name);

  private final Lookup lookup;
  private final Attributes attributes;
  private final boolean ociWhiteouts;

  public MergedDirectory(Lookup lookup, Attributes attributes, boolean ociWhiteouts) {
    this.lookup = lookup;
    this.attributes = attributes;
    this.ociWhiteouts = ociWhiteouts;
  }

  /** The entries of a directory (without {@code .} and {@code ..}), sorted by name within each layer. */
  public List<DirEntry> list(MergedEntry dir) throws IOException {
    List<DirEntry> cached = lookup.cache().listing(dir.path());
    if (cached != null) {
      return cached;
    }
    long epoch = lookup.cache().epoch();
    // An unmodifiable view, not a copy: the cache and every reader share this one list.
    List<DirEntry> listing = java.util.Collections.unmodifiableList(read(dir));
    lookup.cache().putListing(dir.path(), listing, epoch);
    return listing;
  }

  /**
   * Reads the listing in one pass, resolving each name as it is first seen: the result list is
   * the only copy of the listing that is built (the name sets hold the same strings, and only
   * while a merged directory is read; a layer's raw entries are dropped after its copy).
   */
  private List<DirEntry> read(MergedEntry dir) throws IOException {
    boolean merged = dir.isMerged();
    // A single real directory has unique names: nothing to deduplicate or hide, unless OCI
    // whiteout markers hide names of the same directory.
    boolean track = merged || ociWhiteouts;
    Set<String> seen = track ? new HashSet<>() : null;
    Set<String> hidden = track ? new HashSet<>() : null;
    List<DirEntry> out = null;
    for (MergedEntry.Copy copy : dir.copies()) {
      Layer layer = lookup.layers().get(copy.layer());
      boolean xattrWhiteouts = merged && lookup.hidesXattrWhiteouts(dir, copy);
      List<Layer.Entry> raw = layer.entries(copy.path());
      raw.sort(BY_NAME);
      if (out == null) {
        out = new ArrayList<>(raw.size());
      }
      for (Layer.Entry entry : raw) {
        String name = entry.name();
        if (ociWhiteouts && OciWhiteouts.isMarker(name)) {
          String target = OciWhiteouts.hiddenName(name);
          if (target != null && !seen.contains(target)) {
            hidden.add(target);
          }
          continue;
        }
        if (track && (seen.contains(name) || hidden.contains(name))) {
          continue;
        }
        FileType type = entry.type();
        // The listing's type settles most names; only what may be a whiteout needs a stat.
        if (type == null || merged && (type == FileType.CHAR_DEVICE
            || xattrWhiteouts && type == FileType.REGULAR)) {
          Stat st = layer.stat(Layer.child(copy.path(), name));
          if (st == null) {
            continue; // removed while we listed
          }
          if (merged && isWhiteout(layer, copy.path(), name, st, xattrWhiteouts)) {
            hidden.add(name);
            continue;
          }
          type = st.type();
        }
        if (track) {
          seen.add(name);
        }
        out.add(entry(dir, name, type));
      }
    }
    if (out == null) {
      return List.of();
    }
    return out;
  }

  private DirEntry entry(MergedEntry dir, String name, FileType type) throws IOException {
    MergedEntry child;
    try {
      child = lookup.child(dir, name);
    } catch (OverlayException bad) {
      // One entry the lookup refuses (a bad redirect) spoils only itself, as in the kernel.
      return new DirEntry(name, type, rawInode(dir, name));
    }
    if (child.exists()) {
      return new DirEntry(name, child.top().stat().type(), attributes.inode(child));
    }
    // Listed but not found: a whiteout in a directory passed through unfiltered.
    return new DirEntry(name, type, rawInode(dir, name));
  }

  /** The real inode of the topmost object of that name (never 0: readers skip d_ino 0). */
  private long rawInode(MergedEntry dir, String name) throws IOException {
    for (MergedEntry.Copy c : dir.copies()) {
      Stat raw = lookup.layers().get(c.layer()).stat(Layer.child(c.path(), name));
      if (raw != null) {
        return raw.ino();
      }
    }
    return 1;
  }

  private boolean isWhiteout(Layer layer, String dir, String name, Stat st, boolean xattrWhiteouts)
      throws IOException {
    if (st.type() == FileType.CHAR_DEVICE && st.rdev() == 0) {
      return true;
    }
    // An xattr whiteout hides its name from readdir only in a directory marked to hold them.
    return xattrWhiteouts && st.isRegularFile() && st.size() == 0
        && lookup.isXattrWhiteout(layer, Layer.child(dir, name));
  }
}
