package io.overlay4j.bench.jmh;

import io.overlay4j.core.Overlay;
import io.overlay4j.core.config.OverlayConfig;
import io.overlay4j.core.format.OverlayXattrs;
import io.overlay4j.core.layer.HostLayer;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.MemoryLayer;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Layer stacks for the JMH benchmarks, on either backend: host directories under
 * {@code java.io.tmpdir} (ext4 here) or in-memory layers. Layers are written through
 * overlay-core's own {@link WritableLayer} calls, so both backends get the same tree in the
 * kernel's on-disk format.
 */
final class Fixtures {
  private Fixtures() {}

  /** Which layer implementation a benchmark runs on. */
  enum Backend { host, memory }

  /**
   * {@code lowers} lower layers (index 0 is the topmost), an upper and a work layer. For the
   * host backend they are directories {@code l0..lN-1, upper, work} under {@link #root}.
   */
  static final class Stack {
    final Backend backend;
    final Path root;
    final List<WritableLayer> lowers = new ArrayList<>();
    WritableLayer upper;
    WritableLayer work;

    Stack(Backend backend, int lowers) throws IOException {
      this.backend = backend;
      this.root = backend == Backend.host ? Files.createTempDirectory("overlay4j-jmh-") : null;
      for (int i = 0; i < lowers; i++) {
        this.lowers.add(layer("l" + i));
      }
      freshUpper();
    }

    private WritableLayer layer(String name) throws IOException {
      if (backend == Backend.memory) {
        return new MemoryLayer(name);
      }
      Path p = Files.createDirectories(root.resolve(name));
      return new HostLayer(p, OsAccess.system());
    }

    /** An empty upper and work layer (the previous ones deleted). */
    void freshUpper() throws IOException {
      if (backend == Backend.host) {
        deleteTree(root.resolve("upper"));
        deleteTree(root.resolve("work"));
      }
      upper = layer("upper");
      work = layer("work");
    }

    /** The host directory of a layer (host backend only). */
    Path hostPath(WritableLayer l) {
      return ((HostLayer) l).root();
    }

    /**
     * The overlay of this stack. {@code options} are extra kernel-style options
     * ({@code metacopy=on}, {@code volatile}, {@code lookup_cache=0}); host stacks are opened
     * through {@link Overlay#open} like a mount, memory stacks through the builder.
     */
    Overlay overlay(String options) throws IOException {
      if (backend == Backend.host) {
        StringBuilder lowerdir = new StringBuilder();
        for (WritableLayer l : lowers) {
          lowerdir.append(lowerdir.length() == 0 ? "" : ":").append(hostPath(l));
        }
        String o = "lowerdir=" + lowerdir + ",upperdir=" + hostPath(upper) + ",workdir="
            + root.resolve("work-parent");
        Files.createDirectories(root.resolve("work-parent"));
        deleteTree(root.resolve("work-parent/work"));
        return Overlay.open(OverlayConfig.parse(options.isEmpty() ? o : o + "," + options));
      }
      Overlay.Builder b = Overlay.builder();
      lowers.forEach(b::lower);
      b.upper(upper, work);
      for (String opt : options.split(",")) {
        switch (opt) {
          case "" -> { }
          case "metacopy=on" -> b.metacopy(true).opaqueNewDirectories(true);
          case "volatile" -> b.volatileMode(true);
          default -> {
            if (opt.startsWith("lookup_cache=")) {
              b.lookupCacheSize(Integer.parseInt(opt.substring("lookup_cache=".length())));
            } else {
              throw new IllegalArgumentException(opt);
            }
          }
        }
      }
      return b.build();
    }

    void close() {
      if (root != null) {
        deleteTree(root);
      }
    }
  }

  /** Makes every missing directory of {@code dir} (a layer path such as {@code a/b/c}). */
  static void mkdirs(WritableLayer l, String dir) throws IOException {
    if (dir.isEmpty()) {
      return;
    }
    StringBuilder p = new StringBuilder();
    for (String part : dir.split("/")) {
      p.append(p.length() == 0 ? "" : "/").append(part);
      if (l.stat(p.toString()) == null) {
        l.mkdir(p.toString(), 0755);
      }
    }
  }

  /**
   * Writes a regular file; its directory must exist. (No stat of the parent per file: a memory
   * layer's directory stat counts its subdirectories, so that would be quadratic.)
   */
  static void file(WritableLayer l, String path, byte[] content) throws IOException {
    l.createFile(path, 0644);
    if (content.length > 0) {
      try (LayerFile f = l.open(path, true)) {
        ByteBuffer b = ByteBuffer.wrap(content);
        for (long pos = 0; b.hasRemaining(); ) {
          pos += f.write(b, pos);
        }
      }
    }
  }

  static void whiteout(WritableLayer l, String path) throws IOException {
    l.makeWhiteout(path);
  }

  static void opaque(WritableLayer l, String dir) throws IOException {
    l.setXattr(dir, OverlayXattrs.TRUSTED.opaque(), OverlayXattrs.OPAQUE_YES);
  }

  static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
