package io.overlay4j.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;

/**
 * Random small layer sets in the kernel's on-disk format: the kernel's overlay and overlay4j
 * must show the same merged tree. Layers are lists of {@link Node}s over a tiny name space, so
 * names collide across layers and every combination of whiteout, opaque marker, file and
 * directory meets every other; shrinking removes nodes and layers.
 *
 * <p>The seed is fixed so every run checks the same 15 layer sets; jqwik prints it with the
 * property's report. To look for new bugs, change the seed (or drop it: jqwik then picks and
 * prints a random one).
 */
@AddLifecycleHook(RequiresKernelOverlay.class)
class KernelReadOnlyDifferentialPropertyTest {
  /** Component names: plain, with a space, UTF-8. Few, so that layers collide. */
  private static final List<String> NAMES = List.of("a", "b", "c", "d e", "ü");
  private static final int[] MODES = {0600, 04755, 01777, 0, 0444, 02711, 0750};

  enum Kind {
    FILE, EMPTY_FILE, DIR, OPAQUE_DIR, X_DIR, SYMLINK, DANGLING_SYMLINK, WHITEOUT,
    XATTR_WHITEOUT, XATTR_WHITEOUT_UNMARKED, FIFO, CHAR_DEVICE, HARDLINK, USER_XATTR, CHMOD
  }

  /** One object of one layer: where (indices into NAMES), what, and a variant number. */
  record Node(List<Integer> path, Kind kind, int variant) {
    String relPath() {
      List<String> parts = new ArrayList<>();
      for (int i : path) {
        parts.add(NAMES.get(i));
      }
      return String.join("/", parts);
    }

    @Override
    public String toString() {
      return kind + " " + relPath() + " #" + variant;
    }
  }

  /** A layer set: layers topmost first, and whether the kernel mount gets an empty upper. */
  record LayerSet(List<List<Node>> layers, boolean withUpper) {}

  @Property(tries = 15, seed = "4711", shrinking = ShrinkingMode.BOUNDED)
  void kernelAndOverlay4jShowTheSameMergedTree(@ForAll("layerSets") LayerSet set)
      throws IOException {
    Statistics.label("lower layers").collect(set.layers().size());
    Statistics.label("nodes per layer set").collect(
        set.layers().stream().mapToInt(List::size).sum() / 10 * 10 + "+");
    try (Scratch scratch = Scratch.create("prop")) {
      List<Path> lowers = new ArrayList<>();
      for (int i = 0; i < set.layers().size(); i++) {
        lowers.add(write(scratch.layer("l" + (i + 1)), set.layers().get(i)));
      }
      // The kernel needs two lowers without an upper; one lower always gets an empty upper.
      boolean withUpper = set.withUpper() || lowers.size() == 1;
      ReadOnlyComparison.compare(scratch, lowers, withUpper);
    }
  }

  @Provide
  Arbitrary<LayerSet> layerSets() {
    Arbitrary<List<Integer>> paths = Arbitraries.integers().between(0, NAMES.size() - 1)
        .list().ofMinSize(1).ofMaxSize(3);
    Arbitrary<Kind> kinds = Arbitraries.frequency(
        Tuple.of(6, Kind.FILE), Tuple.of(2, Kind.EMPTY_FILE),
        Tuple.of(6, Kind.DIR), Tuple.of(2, Kind.OPAQUE_DIR),
        Tuple.of(2, Kind.X_DIR), Tuple.of(2, Kind.SYMLINK),
        Tuple.of(1, Kind.DANGLING_SYMLINK), Tuple.of(4, Kind.WHITEOUT),
        Tuple.of(3, Kind.XATTR_WHITEOUT),
        Tuple.of(2, Kind.XATTR_WHITEOUT_UNMARKED),
        Tuple.of(1, Kind.FIFO), Tuple.of(1, Kind.CHAR_DEVICE),
        Tuple.of(2, Kind.HARDLINK), Tuple.of(2, Kind.USER_XATTR),
        Tuple.of(2, Kind.CHMOD));
    Arbitrary<Node> nodes = Combinators.combine(paths, kinds,
        Arbitraries.integers().between(0, 99)).as(Node::new);
    Arbitrary<List<Node>> layer = nodes.list().ofMinSize(0).ofMaxSize(20);
    return Combinators.combine(layer.list().ofMinSize(1).ofMaxSize(3),
        Arbitraries.of(false, true)).as(LayerSet::new);
  }

  /**
   * Writes a layer's nodes in order. A node that cannot be made (its path is taken, or a parent
   * is not a directory in this layer) is skipped, so every node list is a valid layer.
   */
  static Path write(LayerBuilder b, List<Node> nodes) throws IOException {
    Map<String, Kind> made = new TreeMap<>(); // layer path -> DIR, or what made a non-directory
    for (Node n : nodes) {
      String p = n.relPath();
      String blockedBy = blockingParent(made, p);
      if (blockedBy != null) {
        continue;
      }
      Kind existing = made.get(p);
      int v = n.variant();
      switch (n.kind()) {
        case USER_XATTR -> {
          if (existing != null && canHoldUserXattr(existing)) {
            b.xattr(p, "user.v" + (v % 3), "value-" + v);
          }
          continue;
        }
        case CHMOD -> {
          if (existing != null && existing != Kind.SYMLINK && existing != Kind.DANGLING_SYMLINK
              && existing != Kind.WHITEOUT) {
            if (v % 4 == 0) {
              b.chown(p, 1000 + v, 2000 + v);
            }
            b.chmod(p, MODES[v % MODES.length]);
          }
          continue;
        }
        case OPAQUE_DIR, X_DIR, DIR -> {
          if (existing != null && existing != Kind.DIR) {
            continue;
          }
          makeParents(made, p);
          b.dir(p);
          made.put(p, Kind.DIR);
          if (n.kind() == Kind.OPAQUE_DIR) {
            b.opaque(p);
          } else if (n.kind() == Kind.X_DIR) {
            b.holdsXattrWhiteouts(p);
          }
          continue;
        }
        default -> {
          if (existing != null) {
            continue;
          }
        }
      }
      String linkTarget = null;
      if (n.kind() == Kind.HARDLINK) {
        List<String> targets = new ArrayList<>();
        for (Map.Entry<String, Kind> e : made.entrySet()) {
          Kind k = e.getValue();
          if (k == Kind.FILE || k == Kind.EMPTY_FILE || k == Kind.WHITEOUT) {
            targets.add(e.getKey());
          }
        }
        if (targets.isEmpty()) {
          continue;
        }
        linkTarget = targets.get(v % targets.size());
      }
      makeParents(made, p);
      switch (n.kind()) {
        case FILE -> b.file(p, ("content " + v + "\n").repeat(1 + v % 5)
            .getBytes(StandardCharsets.UTF_8), v % 2 == 0 ? 0644 : 0755);
        case EMPTY_FILE -> b.file(p, new byte[0], 0644);
        case SYMLINK -> b.symlink(p, v % 2 == 0 ? "../" + NAMES.get(v % NAMES.size())
            : NAMES.get(v % NAMES.size()) + "/" + NAMES.get((v / 5) % NAMES.size()));
        case DANGLING_SYMLINK -> b.symlink(p, "missing-" + v);
        case WHITEOUT -> b.whiteout(p);
        case XATTR_WHITEOUT -> b.xattrWhiteout(p);
        case XATTR_WHITEOUT_UNMARKED -> b.xattrWhiteoutUnmarked(p);
        case FIFO -> b.fifo(p, 0640);
        case CHAR_DEVICE -> b.charDevice(p, 1 + v % 2, v % 4);
        case HARDLINK -> {
          b.hardlink(p, linkTarget);
          made.put(p, made.get(linkTarget));
          continue;
        }
        default -> throw new AssertionError(n);
      }
      made.put(p, n.kind() == Kind.XATTR_WHITEOUT_UNMARKED ? Kind.XATTR_WHITEOUT : n.kind());
    }
    return b.build();
  }

  private static boolean canHoldUserXattr(Kind k) {
    // Linux allows user.* xattrs on regular files and directories only.
    return k == Kind.FILE || k == Kind.EMPTY_FILE || k == Kind.DIR || k == Kind.XATTR_WHITEOUT;
  }

  /** The first proper prefix of {@code p} that exists in the layer as a non-directory. */
  private static String blockingParent(Map<String, Kind> made, String p) {
    int slash = -1;
    while ((slash = p.indexOf('/', slash + 1)) >= 0) {
      Kind k = made.get(p.substring(0, slash));
      if (k != null && k != Kind.DIR) {
        return p.substring(0, slash);
      }
    }
    return null;
  }

  private static void makeParents(Map<String, Kind> made, String p) {
    int slash = -1;
    while ((slash = p.indexOf('/', slash + 1)) >= 0) {
      made.putIfAbsent(p.substring(0, slash), Kind.DIR);
    }
  }
}
