package io.overlay4j.spec.model;

import io.overlay4j.spec.model.LayerTree.Entry;
import io.overlay4j.spec.model.LayerTree.Kind;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;

/** Writes a {@link LayerTree} by hand, for named scenarios; parents are made as needed. */
public final class LayerTreeBuilder {
  private final TreeMap<String, Entry> entries = new TreeMap<>();
  private long time = 1_600_000_000L;

  public LayerTreeBuilder() {
    entries.put("", new Entry(Kind.DIR, 0755));
  }

  public LayerTreeBuilder dir(String path) {
    parents(path);
    entries.putIfAbsent(path, new Entry(Kind.DIR, 0755));
    return this;
  }

  public LayerTreeBuilder file(String path, String content) {
    return file(path, content.getBytes(StandardCharsets.UTF_8));
  }

  public LayerTreeBuilder file(String path, byte[] content) {
    parents(path);
    Entry e = new Entry(Kind.FILE, 0644);
    e.data = content;
    entries.put(path, e);
    return this;
  }

  public LayerTreeBuilder hardlink(String path, String existing) {
    parents(path);
    entries.put(path, entries.get(existing));
    return this;
  }

  public LayerTreeBuilder whiteout(String path) {
    parents(path);
    entries.put(path, new Entry(Kind.WHITEOUT, 0));
    return this;
  }

  public LayerTreeBuilder opaque(String dir) {
    dir(dir);
    entries.get(dir).xattrs.put(LayerTree.OPAQUE, "y".getBytes(StandardCharsets.UTF_8));
    return this;
  }

  public LayerTree build() {
    for (Entry e : entries.values()) {
      e.mtimeNanos = (time++) * 1_000_000_000L + 42;
    }
    return new LayerTree(entries);
  }

  private void parents(String p) {
    int slash = -1;
    while ((slash = p.indexOf('/', slash + 1)) >= 0) {
      entries.putIfAbsent(p.substring(0, slash), new Entry(Kind.DIR, 0755));
    }
  }
}
