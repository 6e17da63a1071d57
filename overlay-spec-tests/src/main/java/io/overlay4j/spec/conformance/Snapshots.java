package io.overlay4j.spec.conformance;

import io.overlay4j.core.FileType;
import io.overlay4j.core.Stat;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.spec.TreeSnapshot;
import io.overlay4j.spec.TreeSnapshot.Entry;
import io.overlay4j.spec.TreeSnapshot.Type;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@link TreeSnapshot}s taken without starting processes: host trees (a mount seen through
 * {@code /proc/PID/root}, an upper or lower directory) through the JDK and {@link Posix} for
 * xattrs (all namespaces, as root), and overlay-core layers through their API. The conformance
 * suite takes several per step, so they must be cheap.
 */
final class Snapshots {
  private Snapshots() {}

  /**
   * Every path under {@code root} with everything a snapshot records, xattrs included (read
   * in-process through {@link Posix}: no process per snapshot).
   */
  static TreeSnapshot ofHost(String label, Path root) throws IOException {
    return TreeSnapshot.ofHostPath(label, root, Snapshots::xattrsOf);
  }

  private static Map<String, SortedMap<String, String>> xattrsOf(Map<String, Path> hostPaths)
      throws IOException {
    Posix posix = Posix.get();
    Map<String, SortedMap<String, String>> out = new TreeMap<>();
    for (Map.Entry<String, Path> e : hostPaths.entrySet()) {
      SortedMap<String, String> xattrs = new TreeMap<>();
      for (String name : posix.listxattr(e.getValue())) {
        byte[] v = posix.getxattr(e.getValue(), name);
        if (v != null) {
          xattrs.put(name, HexFormat.of().formatHex(v));
        }
      }
      out.put(e.getKey(), xattrs);
    }
    return out;
  }

  /** A layer of overlay-core (in memory or any other), read through its API. */
  static TreeSnapshot ofLayer(String label, Layer layer) throws IOException {
    Map<String, Entry> out = new TreeMap<>();
    walkLayer(layer, "", out);
    return new TreeSnapshot(label, out);
  }

  private static void walkLayer(Layer layer, String rel, Map<String, Entry> out)
      throws IOException {
    Stat st = layer.stat(rel);
    if (st == null) {
      out.put(rel, Entry.listedOnly(Type.LISTED_NOT_FOUND, null));
      return;
    }
    Type type = typeOfMode(st.stMode());
    String sha = null;
    if (type == Type.REGULAR) {
      MessageDigest md = sha256();
      try (LayerFile f = layer.open(rel, false)) {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long pos = 0;
        for (int n; (n = f.read(buf.clear(), pos)) > 0; ) {
          pos += n;
          md.update(buf.array(), 0, n);
        }
      }
      sha = HexFormat.of().formatHex(md.digest());
    }
    SortedMap<String, String> xattrs = new TreeMap<>();
    for (String name : layer.listXattrs(rel)) {
      byte[] v = layer.getXattr(rel, name);
      if (v != null) {
        xattrs.put(name, HexFormat.of().formatHex(v));
      }
    }
    out.put(rel, new Entry(type, st.mode(), st.uid(), st.gid(),
        type == Type.REGULAR || type == Type.SYMLINK ? st.size() : -1, sha,
        type == Type.SYMLINK ? layer.readLink(rel) : null,
        type == Type.CHAR_DEVICE || type == Type.BLOCK_DEVICE ? st.rdev() : -1, st.ino(),
        type == Type.DIRECTORY ? -1 : st.nlink(), xattrs, st.mtimeNanos(), st.ctimeNanos(),
        null));
    if (type == Type.DIRECTORY) {
      List<String> names = new ArrayList<>(layer.list(rel));
      Collections.sort(names);
      for (String n : names) {
        walkLayer(layer, Layer.child(rel, n), out);
      }
    }
  }

  static Type typeOfMode(int stMode) {
    return switch (FileType.fromMode(stMode)) {
      case REGULAR -> Type.REGULAR;
      case DIRECTORY -> Type.DIRECTORY;
      case SYMLINK -> Type.SYMLINK;
      case CHAR_DEVICE -> Type.CHAR_DEVICE;
      case BLOCK_DEVICE -> Type.BLOCK_DEVICE;
      case FIFO -> Type.FIFO;
      case SOCKET -> Type.SOCKET;
    };
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
