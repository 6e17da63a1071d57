package io.overlay4j.spec.conformance;

import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.LayerTree.Entry;
import io.overlay4j.spec.model.LayerTree.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Random lower layers in the kernel's format over a tiny name space ({@code a b c}, three
 * levels), so that names collide across layers and with the operations: files, directories,
 * opaque directories, symlinks (dangling and looping too), char 0/0 and xattr whiteouts, fifos,
 * char devices, hard links, user and trusted xattrs (the escaped {@code trusted.overlay.overlay.*}
 * form too), modes and owners. Each layer is a list of {@link Spec}s applied in order; one that
 * does not fit (its parent is not a directory in that layer) is dropped, so shrinking simply
 * removes specs and layers.
 *
 * <p>Left out on purpose: xattr whiteouts in the bottom layer or in a directory not marked
 * {@code opaque=x} (the kernel lists those by rules that depend on lookup history) and markers on
 * layer roots.
 */
public final class LayerGen {
  /** Names of layer objects; operations also use {@code d}, which no layer has. */
  public static final List<String> NAMES = List.of("a", "b", "c");
  static final int[] FILE_MODES = {0644, 0600, 0755, 0444, 04755, 02750, 0640};
  static final int[] DIR_MODES = {0755, 0700, 0750, 02775, 01777, 0555};

  enum SpecKind {
    FILE, EMPTY_FILE, DIR, OPAQUE_DIR, X_DIR, SYMLINK, WHITEOUT, XATTR_WHITEOUT, FIFO, CHAR,
    HARDLINK, USER_XATTR, TRUSTED_XATTR, ESCAPED_XATTR, MODE, OWNER
  }

  /** One change to a layer being built. */
  public record Spec(List<Integer> path, SpecKind kind, int variant) {
    String relPath() {
      List<String> parts = new ArrayList<>();
      for (int i : path) {
        parts.add(NAMES.get(i));
      }
      return String.join("/", parts);
    }

    @Override
    public String toString() {
      return kind.name().toLowerCase() + " " + relPath() + " #" + variant;
    }
  }

  public static Arbitrary<List<List<Spec>>> specs() {
    Arbitrary<List<Integer>> paths = Arbitraries.integers().between(0, NAMES.size() - 1)
        .list().ofMinSize(1).ofMaxSize(3);
    Arbitrary<SpecKind> kinds = Arbitraries.frequency(
        Tuple.of(8, SpecKind.FILE), Tuple.of(2, SpecKind.EMPTY_FILE),
        Tuple.of(8, SpecKind.DIR), Tuple.of(2, SpecKind.OPAQUE_DIR),
        Tuple.of(1, SpecKind.X_DIR), Tuple.of(3, SpecKind.SYMLINK),
        Tuple.of(4, SpecKind.WHITEOUT), Tuple.of(2, SpecKind.XATTR_WHITEOUT),
        Tuple.of(1, SpecKind.FIFO), Tuple.of(1, SpecKind.CHAR),
        Tuple.of(3, SpecKind.HARDLINK), Tuple.of(2, SpecKind.USER_XATTR),
        Tuple.of(1, SpecKind.TRUSTED_XATTR), Tuple.of(1, SpecKind.ESCAPED_XATTR),
        Tuple.of(2, SpecKind.MODE), Tuple.of(1, SpecKind.OWNER));
    Arbitrary<Spec> spec = Combinators.combine(paths, kinds, Arbitraries.integers()
        .between(0, 99)).as(Spec::new);
    return spec.list().ofMinSize(0).ofMaxSize(14).list().ofMinSize(1).ofMaxSize(3);
  }

  /** The layers the specs describe, topmost first. */
  public static List<LayerTree> build(List<List<Spec>> layers) {
    List<LayerTree> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      out.add(build(layers.get(i), i, i == layers.size() - 1));
    }
    return out;
  }

  static LayerTree build(List<Spec> specs, int layerIndex, boolean bottom) {
    TreeMap<String, Entry> entries = new TreeMap<>();
    Entry root = new Entry(Kind.DIR, 0755);
    entries.put("", root);
    for (Spec s : specs) {
      String p = s.relPath();
      if (!parentsFit(entries, p)) {
        continue;
      }
      Entry existing = entries.get(p);
      int v = s.variant();
      switch (s.kind()) {
        case USER_XATTR, TRUSTED_XATTR, ESCAPED_XATTR -> {
          if (existing == null || existing.isWhiteout()) {
            continue;
          }
          boolean user = s.kind() == SpecKind.USER_XATTR;
          if (user && existing.kind != Kind.FILE && existing.kind != Kind.DIR) {
            continue; // Linux keeps user.* xattrs off symlinks and special files
          }
          String name = switch (s.kind()) {
            case USER_XATTR -> "user." + (char) ('a' + v % 2);
            case TRUSTED_XATTR -> "trusted.t";
            default -> "trusted.overlay.overlay.e";
          };
          existing.xattrs.put(name, ("v" + v).getBytes(StandardCharsets.UTF_8));
          continue;
        }
        case MODE -> {
          if (existing != null && existing.kind != Kind.SYMLINK && !existing.isWhiteout()) {
            existing.mode = existing.kind == Kind.DIR ? DIR_MODES[v % DIR_MODES.length]
                : FILE_MODES[v % FILE_MODES.length];
          }
          continue;
        }
        case OWNER -> {
          if (existing != null && !existing.isWhiteout()) {
            existing.uid = v % 3 == 0 ? 0 : 1000 + v % 2;
            existing.gid = v % 2 == 0 ? 100 : 1000;
          }
          continue;
        }
        case DIR, OPAQUE_DIR, X_DIR -> {
          if (existing != null && existing.kind != Kind.DIR) {
            continue;
          }
          makeParents(entries, p);
          Entry d = existing != null ? existing : new Entry(Kind.DIR, 0755);
          entries.put(p, d);
          byte[] mark = d.xattrs.get(LayerTree.OPAQUE);
          if (s.kind() == SpecKind.OPAQUE_DIR && mark == null) {
            d.xattrs.put(LayerTree.OPAQUE, "y".getBytes(StandardCharsets.UTF_8));
          } else if (s.kind() == SpecKind.X_DIR && !bottom && mark == null) {
            d.xattrs.put(LayerTree.OPAQUE, "x".getBytes(StandardCharsets.UTF_8));
          }
          continue;
        }
        default -> {
          if (existing != null) {
            continue;
          }
        }
      }
      Entry e;
      switch (s.kind()) {
        case FILE -> {
          e = new Entry(Kind.FILE, FILE_MODES[v % 3]);
          e.data = ("L" + (layerIndex + 1) + "-" + v + "\n").repeat(1 + v % 3)
              .getBytes(StandardCharsets.UTF_8);
        }
        case EMPTY_FILE -> e = new Entry(Kind.FILE, 0644);
        case SYMLINK -> {
          e = new Entry(Kind.SYMLINK, 0777);
          e.target = switch (v % 5) {
            case 0 -> NAMES.get(v % 3);
            case 1 -> NAMES.get(v % 3) + "/" + NAMES.get((v / 3) % 3);
            case 2 -> "missing-" + v;
            case 3 -> "d";
            default -> NAMES.get((v / 5) % 3);
          };
        }
        case WHITEOUT -> e = new Entry(Kind.WHITEOUT, 0);
        case XATTR_WHITEOUT -> {
          String parent = parentOf(p);
          Entry pe = entries.get(parent);
          if (bottom || pe == null || parent.isEmpty() || pe.isOpaque()) {
            continue;
          }
          e = new Entry(Kind.XATTR_WHITEOUT, 0644);
          e.xattrs.put(LayerTree.WHITEOUT_XATTR, new byte[0]);
          makeParents(entries, p);
          pe.xattrs.put(LayerTree.OPAQUE, "x".getBytes(StandardCharsets.UTF_8));
        }
        case FIFO -> e = new Entry(Kind.FIFO, 0640);
        case CHAR -> {
          e = new Entry(Kind.CHAR, 0644);
          e.rdevMajor = 1;
          e.rdevMinor = v % 2 == 0 ? 3 : 5;
        }
        case HARDLINK -> {
          List<Entry> files = new ArrayList<>();
          for (Entry x : entries.values()) {
            if (x.kind == Kind.FILE && !files.contains(x)) {
              files.add(x);
            }
          }
          if (files.isEmpty()) {
            continue;
          }
          e = files.get(v % files.size());
        }
        default -> throw new AssertionError(s);
      }
      makeParents(entries, p);
      entries.put(p, e);
    }
    // Times: fixed, distinct per path, with nanoseconds, so copy-up must keep them exactly.
    long t = 1_500_000_000L + layerIndex * 100_000L;
    int k = 0;
    for (Map.Entry<String, Entry> en : entries.entrySet()) {
      en.getValue().mtimeNanos = (t + 1000L * k++) * 1_000_000_000L + 123_456_789L;
    }
    return new LayerTree(entries);
  }

  private static boolean parentsFit(Map<String, Entry> entries, String p) {
    int slash = -1;
    while ((slash = p.indexOf('/', slash + 1)) >= 0) {
      Entry e = entries.get(p.substring(0, slash));
      if (e != null && e.kind != Kind.DIR) {
        return false;
      }
    }
    return true;
  }

  private static void makeParents(Map<String, Entry> entries, String p) {
    int slash = -1;
    while ((slash = p.indexOf('/', slash + 1)) >= 0) {
      entries.putIfAbsent(p.substring(0, slash), new Entry(Kind.DIR, 0755));
    }
  }

  private static String parentOf(String p) {
    int slash = p.lastIndexOf('/');
    return slash < 0 ? "" : p.substring(0, slash);
  }
}
