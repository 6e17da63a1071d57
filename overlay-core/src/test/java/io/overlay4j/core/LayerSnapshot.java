package io.overlay4j.core;

import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.LayerFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Everything of a layer but access times: to check that lower layers are never written. */
final class LayerSnapshot {
  private LayerSnapshot() {}

  static Map<String, String> of(Layer layer) throws IOException {
    Map<String, String> out = new TreeMap<>();
    walk(layer, "", out);
    return out;
  }

  private static void walk(Layer layer, String path, Map<String, String> out) throws IOException {
    Stat st = layer.stat(path);
    StringBuilder sb = new StringBuilder();
    sb.append(st.type()).append(' ').append(Integer.toOctalString(st.mode())).append(' ')
        .append(st.uid()).append(':').append(st.gid()).append(" ino=").append(st.ino())
        .append(" nlink=").append(st.nlink()).append(" size=").append(st.size())
        .append(" mtime=").append(st.mtimeNanos()).append(" ctime=").append(st.ctimeNanos())
        .append(" rdev=").append(st.rdev());
    List<String> names = layer.listXattrs(path).stream().sorted().toList();
    for (String x : names) {
      sb.append(' ').append(x).append('=').append(Arrays.toString(layer.getXattr(path, x)));
    }
    if (st.isRegularFile()) {
      try (LayerFile f = layer.open(path, false)) {
        ByteBuffer buf = ByteBuffer.allocate((int) f.size());
        f.read(buf, 0);
        sb.append(" data=").append(Arrays.hashCode(buf.array()));
      }
    } else if (st.isSymlink()) {
      sb.append(" -> ").append(layer.readLink(path));
    }
    out.put("/" + path, sb.toString());
    if (st.isDirectory()) {
      for (String name : layer.list(path)) {
        walk(layer, Layer.child(path, name), out);
      }
    }
  }
}
