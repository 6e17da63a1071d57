package io.overlay4j.core.layer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The layers of one overlay, numbered as lookup visits them: index 0 is the upper layer (absent
 * on a read-only overlay), 1..n the lower layers from the top down. Data-only layers come after
 * the lower layers; lookup and readdir never visit them, only redirects of metacopy files do.
 */
public final class LayerStack {
  /** The index of the upper layer. */
  public static final int UPPER = 0;

  private final WritableLayer upper;
  private final WritableLayer work;
  private final List<Layer> layers;
  private final int lowerCount;
  private final boolean sameFileSystem;

  public LayerStack(WritableLayer upper, WritableLayer work, List<? extends Layer> lowers,
      List<? extends Layer> dataLayers) throws IOException {
    if (lowers.isEmpty()) {
      throw new IllegalArgumentException("an overlay needs at least one lower layer");
    }
    if ((upper == null) != (work == null)) {
      throw new IllegalArgumentException("upper and work layers come together");
    }
    this.upper = upper;
    this.work = work;
    List<Layer> all = new ArrayList<>();
    all.add(upper);
    all.addAll(lowers);
    all.addAll(dataLayers);
    this.layers = Collections.unmodifiableList(all);
    this.lowerCount = lowers.size();
    long dev = Long.MIN_VALUE;
    boolean same = true;
    for (Layer l : all) {
      if (l == null) {
        continue;
      }
      long d = l.stat("").dev();
      same &= dev == Long.MIN_VALUE || d == dev;
      dev = d;
    }
    this.sameFileSystem = same;
  }

  /** The upper layer, or null on a read-only overlay. */
  public WritableLayer upper() {
    return upper;
  }

  /** The work directory (inside workdir: its {@code work/} subdirectory), or null. */
  public WritableLayer work() {
    return work;
  }

  public boolean readOnly() {
    return upper == null;
  }

  /** The layer at an index (0 upper, then lowers, then data-only layers). */
  public Layer get(int index) {
    return layers.get(index);
  }

  /** The index of the first lower layer. */
  public int firstLower() {
    return 1;
  }

  /** One past the index of the last lower layer (the first data-only layer, if any). */
  public int endOfLowers() {
    return 1 + lowerCount;
  }

  /** One past the last index. */
  public int size() {
    return layers.size();
  }

  /** Whether every layer lives on one file system, so real inode numbers are unique. */
  public boolean sameFileSystem() {
    return sameFileSystem;
  }

  /** The high bits of a composed inode number needed to name every layer (the xino idea). */
  public int xinoBits() {
    return 32 - Integer.numberOfLeadingZeros(layers.size()) + 1;
  }
}
