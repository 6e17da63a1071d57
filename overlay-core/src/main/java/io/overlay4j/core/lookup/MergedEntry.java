package io.overlay4j.core.lookup;

import io.overlay4j.core.Stat;
import io.overlay4j.core.layer.LayerStack;
import java.util.List;

/**
 * What one path of the merged view resolves to: the real objects behind it, topmost first. A
 * non-directory has exactly one; a merged directory has a copy in each layer down to the first
 * opaque one; a name that does not exist (or is whited out) has none.
 *
 * <p>Immutable: a mutation replaces entries in the lookup cache rather than changing them.
 */
public final class MergedEntry {

  /** One real object behind a merged path: a layer index, its path in that layer, its lstat. */
  public record Copy(int layer, String path, Stat stat) {}

  private final String path;
  private final List<Copy> copies;
  private final boolean opaque;
  private final boolean xattrWhiteouts;
  /** {@link #identity()} before it is computed. */
  static final long NO_IDENTITY = Long.MIN_VALUE;

  private volatile long identity = NO_IDENTITY;

  MergedEntry(String path, List<Copy> copies, boolean opaque, boolean xattrWhiteouts) {
    this.path = path;
    this.copies = List.copyOf(copies);
    this.opaque = opaque;
    this.xattrWhiteouts = xattrWhiteouts;
  }

  /** The merged path: {@code /} or {@code /a/b}. */
  public String path() {
    return path;
  }

  public boolean exists() {
    return !copies.isEmpty();
  }

  public List<Copy> copies() {
    return copies;
  }

  /** The object whose attributes the merged view shows. */
  public Copy top() {
    return copies.get(0);
  }

  /**
   * Where a regular file's data is: the topmost copy, or for a metacopy file (metadata in
   * upper, data below) the lower copy.
   */
  public Copy dataCopy() {
    return top().stat().isRegularFile() ? copies.get(copies.size() - 1) : top();
  }

  public boolean isDirectory() {
    return exists() && top().stat().isDirectory();
  }

  /** A directory with copies in more than one layer. */
  public boolean isMerged() {
    return copies.size() > 1;
  }

  /** Whether the topmost copy lives in the upper layer. */
  public boolean isUpper() {
    return exists() && top().layer() == LayerStack.UPPER;
  }

  /** Whether any lower layer has an object at this merged path. */
  public boolean hasLower() {
    for (Copy c : copies) {
      if (c.layer() != LayerStack.UPPER) {
        return true;
      }
    }
    return false;
  }

  /** Whether the topmost copy is a directory marked opaque. */
  public boolean isOpaque() {
    return opaque;
  }

  /** Whether a lower copy (not the bottom layer's) is marked as holding xattr whiteouts. */
  public boolean hasXattrWhiteouts() {
    return xattrWhiteouts;
  }

  /** The inode number the overlay reports, once {@link Attributes} computed it. */
  long identity() {
    return identity;
  }

  void identity(long ino) {
    identity = ino;
  }

  @Override
  public String toString() {
    return path + (exists() ? " -> " + copies : " (none)");
  }
}
