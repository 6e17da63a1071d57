package io.overlay4j.core.lookup;

import io.overlay4j.core.Errno;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.Stat;
import io.overlay4j.core.format.OverlayXattrs;
import io.overlay4j.core.layer.LayerStack;
import java.io.IOException;

/**
 * The attributes a merged object reports: its topmost copy's, with the kernel's inode numbers.
 *
 * <p>When all layers share one file system, {@code st_ino} is the real inode of the lower
 * object the name resolves to — for a copied-up object, of the lower object named by its
 * {@code origin} handle — so it stays stable across copy-up and remount. Otherwise the real
 * inode is composed with the index of the layer that holds it in the high bits (the kernel's
 * {@code xino}). Every object reports the overlay's {@code st_dev}; a merged directory reports
 * one link.
 */
public final class Attributes {
  private final LayerStack layers;
  private final OverlayXattrs xattrs;
  private final long device;

  public Attributes(LayerStack layers, OverlayXattrs xattrs, long device) {
    this.layers = layers;
    this.xattrs = xattrs;
    this.device = device;
  }

  /** The device number every object of the overlay reports. */
  public long device() {
    return device;
  }

  /**
   * The attributes of a merged object. Identity (inode number, link count rule) is computed
   * once per lookup; the rest is read fresh from the real object, so writes through open files
   * need no cache invalidation.
   */
  public Stat of(MergedEntry e) throws IOException {
    MergedEntry.Copy top = e.top();
    Stat st = layers.get(top.layer()).stat(top.path());
    if (st == null || st.type() != top.stat().type()) {
      throw new OverlayException(Errno.ENOENT, e.path(), "changed underneath the overlay");
    }
    long ino = inode(e);
    int nlink = st.isDirectory() && e.isMerged() ? 1 : st.nlink();
    return st.withIdentity(ino, device, nlink);
  }

  /**
   * The attributes of a non-directory just created in the upper layer, as its entry holds them:
   * it has no origin, so its identity is its own inode.
   */
  public Stat ofCreated(MergedEntry e) {
    Stat st = e.top().stat();
    long ino = compose(e.top().layer(), st.ino());
    e.identity(ino);
    return st.withIdentity(ino, device, st.nlink());
  }

  /** The inode number the overlay reports for {@code e}, without reading its attributes. */
  public long inode(MergedEntry e) throws IOException {
    long ino = e.identity();
    if (ino == MergedEntry.NO_IDENTITY) {
      ino = identity(e);
      e.identity(ino);
    }
    return ino;
  }

  /**
   * Records the identity of an object just copied up from {@code lowerLayer}, where it had
   * {@code lower}'s attributes: what decoding its new origin handle would give, without the
   * handle lookup.
   */
  public void copiedUp(MergedEntry upper, int lowerLayer, Stat lower) {
    if (!upper.top().stat().isDirectory() && upper.identity() == MergedEntry.NO_IDENTITY) {
      upper.identity(lower.nlink() == 1 ? compose(lowerLayer, lower.ino())
          : compose(LayerStack.UPPER, upper.top().stat().ino()));
    }
  }

  private long identity(MergedEntry e) throws IOException {
    MergedEntry.Copy top = e.top();
    int inoLayer = top.layer();
    long ino = top.stat().ino();
    if (top.stat().isDirectory() && !e.path().equals("/")) {
      // (The root keeps its top copy's inode, as the kernel's ovl_get_root does.)
      for (MergedEntry.Copy c : e.copies()) {
        if (c.layer() != LayerStack.UPPER) {
          return compose(c.layer(), c.stat().ino());
        }
      }
    } else if (top.layer() == LayerStack.UPPER && !layers.readOnly()) {
      byte[] origin = layers.upper().getXattr(top.path(), xattrs.origin());
      if (origin != null) {
        for (int i = layers.firstLower(); i < layers.endOfLowers(); i++) {
          Stat lower = layers.get(i).statOfOrigin(origin);
          if (lower != null) {
            // Lower hard links may be broken by copy-up (index=off): their copies take the
            // upper inode number, as the kernel's ovl_getattr decides.
            return lower.nlink() == 1 ? compose(i, lower.ino()) : compose(inoLayer, ino);
          }
        }
      }
    }
    return compose(inoLayer, ino);
  }

  /** The inode number the overlay reports for real inode {@code ino} of layer {@code layer}. */
  public long compose(int layer, long ino) {
    if (layers.sameFileSystem()) {
      return ino;
    }
    int shift = 64 - layers.xinoBits();
    return ino | ((long) layer << shift);
  }
}
