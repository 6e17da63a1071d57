package io.overlay4j.core.copyup;

import io.overlay4j.core.Errno;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.WritableLayer;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The overlay's work directory ({@code workdir/work}): where copy-ups, whiteouts and new
 * directories are built before one rename makes them appear in upper. Names are the kernel's
 * {@code #<hex>}; what is left here after a crash is removed at the next mount.
 */
public final class WorkDir {
  private final WritableLayer layer;
  private final AtomicLong next = new AtomicLong();
  /** The whiteout new ones are hard links of (callers hold the overlay's mutation lock). */
  private String sharedWhiteout;
  private boolean noSharedWhiteout;

  public WorkDir(WritableLayer layer) {
    this.layer = layer;
  }

  public WritableLayer layer() {
    return layer;
  }

  /** A fresh temporary name in the work directory. */
  public String tempName() {
    return "#" + Long.toHexString(next.getAndIncrement());
  }

  /**
   * Makes a whiteout at {@code path} of the work directory. As the kernel's {@code ovl_whiteout}
   * does, it is a new hard link of one shared whiteout kept here (a link costs far less than a
   * new inode: unlinking 8,759 lower files spent 3 s of 9 in mknod on this machine's ext4), or a
   * new 0/0 device where the layer has no hard links for it. Callers hold the mutation lock.
   */
  public void makeWhiteout(String path) throws IOException {
    for (int attempt = 0; attempt < 2 && !noSharedWhiteout; attempt++) {
      try {
        if (sharedWhiteout == null) {
          String shared = tempName();
          layer.makeWhiteout(shared);
          sharedWhiteout = shared;
        }
        layer.link(sharedWhiteout, path);
        return;
      } catch (OverlayException e) {
        if (e.errno() == Errno.EMLINK || e.errno() == Errno.ENOENT) {
          sharedWhiteout = null; // full (or cleaned away): the next attempt starts another one
        } else {
          noSharedWhiteout = true;
        }
      }
    }
    layer.makeWhiteout(path);
  }

  /** Removes the shared whiteout (when the overlay closes; callers hold the mutation lock). */
  public void close() throws IOException {
    if (sharedWhiteout != null) {
      String shared = sharedWhiteout;
      sharedWhiteout = null;
      removeTree(shared);
    }
  }

  /** Removes everything left in the work directory (by a crash), keeping the kernel's subdirectories. */
  public void clean() throws IOException {
    for (String name : layer.list("")) {
      if (name.startsWith("#")) {
        removeTree(name);
      }
    }
  }

  /** Removes an object of the work directory and, for a directory, everything in it. */
  public void removeTree(String path) throws IOException {
    var st = layer.stat(path);
    if (st == null) {
      return;
    }
    if (st.isDirectory()) {
      for (String child : layer.list(path)) {
        removeTree(Layer.child(path, child));
      }
      layer.rmdir(path);
    } else {
      layer.unlink(path);
    }
  }
}
