package io.overlay4j.spec.model;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The content of one lower layer in the kernel's on-disk format, as a value: every path
 * (relative, {@code ""} the root) with its object. Hard links are two paths mapped to the same
 * {@link Entry} object. Whiteouts (char 0/0 or the xattr form) and opaque marks
 * ({@code trusted.overlay.opaque}) are entries and xattrs like any other, so the model reads the
 * layer the way the kernel reads the directory.
 */
public final class LayerTree {
  /** What an entry is on disk. */
  public enum Kind { FILE, DIR, SYMLINK, FIFO, CHAR, WHITEOUT, XATTR_WHITEOUT }

  public static final String OPAQUE = "trusted.overlay.opaque";
  public static final String WHITEOUT_XATTR = "trusted.overlay.whiteout";

  /** One object of the layer. Mutable only while the layer is being generated. */
  public static final class Entry {
    public final Kind kind;
    public int mode;
    public int uid;
    public int gid;
    public byte[] data = new byte[0];
    public String target;
    public int rdevMajor;
    public int rdevMinor;
    /** Stored names (trusted.overlay.* included) to values. */
    public final SortedMap<String, byte[]> xattrs = new TreeMap<>();
    public long mtimeNanos;

    public Entry(Kind kind, int mode) {
      this.kind = kind;
      this.mode = mode;
    }

    public boolean isWhiteout() {
      return kind == Kind.WHITEOUT || kind == Kind.XATTR_WHITEOUT;
    }

    /** {@code trusted.overlay.opaque="y"}. */
    public boolean isOpaque() {
      byte[] v = xattrs.get(OPAQUE);
      return kind == Kind.DIR && v != null && new String(v, StandardCharsets.UTF_8).equals("y");
    }

    public String describe() {
      StringBuilder sb = new StringBuilder(kind.name().toLowerCase());
      switch (kind) {
        case FILE -> sb.append(' ').append(Op.quote(new String(data, StandardCharsets.UTF_8)));
        case SYMLINK -> sb.append(" -> ").append(Op.quote(target));
        case CHAR -> sb.append(' ').append(rdevMajor).append(':').append(rdevMinor);
        default -> { }
      }
      if (kind != Kind.WHITEOUT && kind != Kind.SYMLINK) {
        sb.append(' ').append(Op.oct(mode));
      }
      if (uid != 0 || gid != 0) {
        sb.append(' ').append(uid).append(':').append(gid);
      }
      for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
        if (!x.getKey().equals(WHITEOUT_XATTR)) {
          sb.append(' ').append(x.getKey()).append('=')
              .append(Op.quote(new String(x.getValue(), StandardCharsets.UTF_8)));
        }
      }
      return sb.toString();
    }
  }

  private final SortedMap<String, Entry> entries;

  public LayerTree(SortedMap<String, Entry> entries) {
    this.entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
    if (!(this.entries.get("") != null && this.entries.get("").kind == Kind.DIR)) {
      throw new IllegalArgumentException("a layer needs a root directory");
    }
  }

  /** Every path with its entry, parents before children. */
  public SortedMap<String, Entry> entries() {
    return entries;
  }

  public Entry get(String path) {
    return entries.get(path);
  }

  /** The names directly inside directory {@code dir}, sorted. */
  public List<String> children(String dir) {
    List<String> out = new ArrayList<>();
    String prefix = dir.isEmpty() ? "" : dir + "/";
    for (String p : entries.keySet()) {
      if (!p.isEmpty() && p.startsWith(prefix) && p.indexOf('/', prefix.length()) < 0) {
        out.add(p.substring(prefix.length()));
      }
    }
    return out;
  }

  /** How many paths of this layer name the entry (its st_nlink on disk, for non-directories). */
  public int nlink(Entry e) {
    int n = 0;
    for (Entry x : entries.values()) {
      if (x == e) {
        n++;
      }
    }
    return n;
  }

  /** The first path of each distinct object, in path order (hard links after the first). */
  public Map<Entry, String> firstPaths() {
    Map<Entry, String> first = new IdentityHashMap<>();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      first.putIfAbsent(e.getValue(), e.getKey());
    }
    return first;
  }

  public static String child(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }

  /** A listing for replay output: one line per path. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    Map<Entry, String> first = firstPaths();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      if (e.getKey().isEmpty()) {
        continue;
      }
      String firstPath = first.get(e.getValue());
      sb.append("    ").append(e.getKey()).append(": ");
      if (!firstPath.equals(e.getKey())) {
        sb.append("hardlink of ").append(firstPath);
      } else {
        sb.append(e.getValue().describe());
      }
      sb.append('\n');
    }
    if (sb.length() == 0) {
      sb.append("    (empty)\n");
    }
    return sb.toString();
  }
}
