package io.overlay4j.core.copyup;

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
