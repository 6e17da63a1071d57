package io.overlay4j.core;

import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.MemoryLayer;
import io.overlay4j.core.layer.WritableLayer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Builds layer trees in the kernel's on-disk format, for tests. */
final class Layers {
  private final WritableLayer layer;

  private Layers(WritableLayer layer) {
    this.layer = layer;
  }

  static Layers memory(String name) {
    return new Layers(new MemoryLayer(name));
  }

  static Layers of(WritableLayer layer) {
    return new Layers(layer);
  }

  WritableLayer layer() {
    return layer;
  }

  Layers dir(String path) throws IOException {
    String[] parts = path.split("/");
    String cur = "";
    for (String p : parts) {
      cur = cur.isEmpty() ? p : cur + "/" + p;
      if (layer.stat(cur) == null) {
        layer.mkdir(cur, 0755);
      }
    }
    return this;
  }

  Layers file(String path, String content) throws IOException {
    parentOf(path);
    layer.createFile(path, 0644);
    try (LayerFile f = layer.open(path, true)) {
      f.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)), 0);
    }
    return this;
  }

  Layers symlink(String path, String target) throws IOException {
    parentOf(path);
    layer.symlink(path, target);
    return this;
  }

  Layers whiteout(String path) throws IOException {
    parentOf(path);
    layer.makeWhiteout(path);
    return this;
  }

  /** An xattr whiteout: an empty file carrying trusted.overlay.whiteout. */
  Layers xattrWhiteout(String path) throws IOException {
    parentOf(path);
    layer.createFile(path, 0);
    layer.setXattr(path, "trusted.overlay.whiteout", new byte[] {'y'});
    return this;
  }

  Layers opaque(String dir) throws IOException {
    dir(dir);
    layer.setXattr(dir, "trusted.overlay.opaque", new byte[] {'y'});
    return this;
  }

  Layers xattr(String path, String name, String value) throws IOException {
    layer.setXattr(path, name, value.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  private void parentOf(String path) throws IOException {
    int slash = path.lastIndexOf('/');
    if (slash > 0) {
      dir(path.substring(0, slash));
    }
  }

  static String read(Overlay o, String path) throws IOException {
    try (OverlayFile f = o.openRead(path)) {
      ByteBuffer buf = ByteBuffer.allocate((int) f.size() + 1);
      long pos = 0;
      for (int n; (n = f.read(buf, pos)) > 0; ) {
        pos += n;
      }
      buf.flip();
      return StandardCharsets.UTF_8.decode(buf).toString();
    }
  }
}
