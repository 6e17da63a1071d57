package io.overlay4j.spec.conformance;

import io.overlay4j.core.FileType;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.MemoryLayer;
import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.LayerTree.Entry;
import io.overlay4j.spec.model.Model;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link LayerTree} in the kernel's on-disk format: to a host directory (through
 * {@link Posix}: char 0/0 whiteouts, trusted.* xattrs, owners, nanosecond mtimes) or to an
 * overlay-core {@link MemoryLayer}. Hard links become hard links; every object's mtime is set
 * last, deepest first, so writing the children does not change it.
 */
final class LayerWriter {
  private LayerWriter() {}

  static void toHost(LayerTree tree, Path root) throws IOException {
    Posix posix = Posix.get();
    Files.createDirectories(root);
    Map<Entry, String> first = tree.firstPaths();
    for (Map.Entry<String, Entry> e : tree.entries().entrySet()) {
      String rel = e.getKey();
      Entry en = e.getValue();
      Path p = rel.isEmpty() ? root : root.resolve(rel);
      String firstPath = first.get(en);
      int rc = 0;
      if (!firstPath.equals(rel)) {
        rc = posix.link(root.resolve(firstPath), p);
      } else {
        switch (en.kind) {
          case DIR -> rc = rel.isEmpty() ? 0 : posix.mkdir(p, 0700);
          case FILE, XATTR_WHITEOUT -> Files.write(p, en.data);
          case SYMLINK -> rc = posix.symlink(en.target, p);
          case FIFO -> rc = posix.mknod(p, Posix.S_IFIFO | 0600, 0);
          case CHAR -> rc = posix.mknod(p, Posix.S_IFCHR | 0600,
              Model.makedev(en.rdevMajor, en.rdevMinor));
          case WHITEOUT -> rc = posix.mknod(p, Posix.S_IFCHR, 0);
        }
      }
      check(rc, "create " + p);
    }
    for (Map.Entry<Entry, String> e : first.entrySet()) {
      Entry en = e.getKey();
      Path p = e.getValue().isEmpty() ? root : root.resolve(e.getValue());
      for (Map.Entry<String, byte[]> x : en.xattrs.entrySet()) {
        check(posix.setxattr(p, x.getKey(), x.getValue(), 0), "setxattr " + x.getKey() + " " + p);
      }
      check(posix.lchown(p, en.uid, en.gid), "lchown " + p);
      if (en.kind != LayerTree.Kind.SYMLINK) {
        check(posix.chmod(p, en.mode), "chmod " + p);
      }
    }
    List<String> paths = new ArrayList<>(tree.entries().keySet());
    for (int i = paths.size() - 1; i >= 0; i--) {
      String rel = paths.get(i);
      Path p = rel.isEmpty() ? root : root.resolve(rel);
      check(posix.setMtime(p, tree.get(rel).mtimeNanos), "utimensat " + p);
    }
  }

  static MemoryLayer toMemory(LayerTree tree, String name) throws IOException {
    MemoryLayer layer = new MemoryLayer(name);
    Map<Entry, String> first = tree.firstPaths();
    for (Map.Entry<String, Entry> e : tree.entries().entrySet()) {
      String rel = e.getKey();
      Entry en = e.getValue();
      String firstPath = first.get(en);
      if (!firstPath.equals(rel)) {
        layer.link(firstPath, rel);
        continue;
      }
      switch (en.kind) {
        case DIR -> {
          if (!rel.isEmpty()) {
            layer.mkdir(rel, 0700);
          }
        }
        case FILE, XATTR_WHITEOUT -> {
          layer.createFile(rel, 0600);
          try (LayerFile f = layer.open(rel, true)) {
            f.write(ByteBuffer.wrap(en.data), 0);
          }
        }
        case SYMLINK -> layer.symlink(rel, en.target);
        case FIFO -> layer.mknod(rel, FileType.FIFO, 0600, 0);
        case CHAR -> layer.mknod(rel, FileType.CHAR_DEVICE, 0600,
            Model.makedev(en.rdevMajor, en.rdevMinor));
        case WHITEOUT -> layer.makeWhiteout(rel);
      }
    }
    for (Map.Entry<Entry, String> e : first.entrySet()) {
      Entry en = e.getKey();
      String rel = e.getValue();
      for (Map.Entry<String, byte[]> x : en.xattrs.entrySet()) {
        layer.setXattr(rel, x.getKey(), x.getValue());
      }
      layer.chown(rel, en.uid, en.gid);
      if (en.kind != LayerTree.Kind.SYMLINK && en.kind != LayerTree.Kind.WHITEOUT) {
        layer.chmod(rel, en.mode);
      }
    }
    List<String> paths = new ArrayList<>(tree.entries().keySet());
    for (int i = paths.size() - 1; i >= 0; i--) {
      String rel = paths.get(i);
      layer.setTimes(rel, tree.get(rel).mtimeNanos, tree.get(rel).mtimeNanos);
    }
    return layer;
  }

  private static void check(int rc, String what) throws IOException {
    if (rc != 0) {
      throw new IOException("writing a layer: " + what + ": "
          + io.overlay4j.spec.model.Errnos.name(rc));
    }
  }
}
