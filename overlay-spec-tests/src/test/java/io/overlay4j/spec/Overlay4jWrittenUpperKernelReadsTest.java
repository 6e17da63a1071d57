package io.overlay4j.spec;

import static org.junit.jupiter.api.Assertions.fail;

import io.overlay4j.core.FileType;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayFile;
import io.overlay4j.core.config.OverlayConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Interop, overlay4j writes and the kernel reads: a sequence of operations through overlay4j's
 * API ({@code Overlay.open} on host directories, a fresh copy of {@link RwFixture}), then the
 * kernel's overlay mounted read-only over the same lower, upper and work directories (with the
 * same options) must show exactly the tree a fresh {@code Overlay.open} shows — every field,
 * ctime and inode numbers included, since both read the same directories. The overlay that did
 * the writes must show that tree too, and the lower layers must be unchanged.
 */
class Overlay4jWrittenUpperKernelReadsTest {
  private Scratch scratch;

  @BeforeEach
  void scratch() throws IOException {
    Optional<String> why = KernelOverlay.unavailableReason();
    Assumptions.assumeTrue(why.isEmpty(), () -> "kernel interop tests skipped: "
        + why.orElse(""));
    scratch = Scratch.create("o4j-writes");
  }

  @AfterEach
  void cleanUp() {
    if (scratch != null) {
      scratch.close();
    }
  }

  /** What a test does through overlay4j. */
  @FunctionalInterface
  interface Writes {
    void apply(Overlay o) throws IOException;
  }

  @Test
  void filesDirectoriesLinksAndAttributes() throws IOException {
    check("", o -> {
      append(o, "/a.txt", "appended\n");
      o.truncate("/dir/f1", 1);
      o.truncate("/empty", 0);
      write(o, "/dir/new", "new\n");
      o.unlink("/b.txt");
      o.unlink("/merged/x");
      o.unlink("/u.txt");
      o.unlink("/dir2/g");
      o.rmdir("/dir2");
      o.mkdir("/dir2", 0750);
      write(o, "/dir2/n", "n\n");
      o.rename("/dir/f3", "/merged/f3", 0);
      o.rename("/merged/y", "/y", 0);
      o.rename("/dir/f2", "/dir/sub/deep", 0);
      o.rename("/ro.txt", "/exec.sh", Overlay.RENAME_EXCHANGE);
      o.link("/a.txt", "/a-link");
      o.link("/dir/sub/deep", "/merged/deep-link");
      o.link("/udir/ufile", "/ufile-link");
      o.symlink("a.txt", "/s", -1, -1);
      o.symlink("../a-link", "/merged/s2", -1, -1);
      o.chmod("/l1only/z", 0600);
      o.chown("/deep/a/b/c", 7, 8);
      o.utimens("/sym", Overlay.OMIT, 1_000_000_000_000_000_000L);
      o.chmod("/deep", 0700);
      o.setxattr("/a-link", "user.new", bytes("v"), 0);
      o.removexattr("/a.txt", "user.k");
      o.setxattr("/merged", "user.m", bytes("m"), 0);
      o.setxattr("/opq2/n", "trusted.overlay.escaped", bytes("e"), 0);
      o.mknod("/fifo", FileType.FIFO, 0640, 0, -1, -1);
      o.mkdir("/new", 0755);
      o.mkdir("/new/deep", 0700);
      write(o, "/new/deep/f", "f\n");
      o.rename("/udir", "/udir2", 0);
      o.rename("/hl1", "/dir/hl1-moved", 0);
      o.unlink("/opq/new");
      o.rmdir("/opq");
    });
  }

  @Test
  void deletingEverythingLeavesWhiteoutsTheKernelHonours() throws IOException {
    check("", o -> {
      for (String f : List.of("/dir/f1", "/dir/f2", "/dir/f3", "/dir/sub/deep")) {
        o.unlink(f);
      }
      o.rmdir("/dir/sub");
      o.rmdir("/dir");
      o.unlink("/merged/x");
      o.unlink("/merged/y");
      o.unlink("/merged/w");
      o.rmdir("/merged");
      o.unlink("/opq/new");
      o.rmdir("/opq");
      o.unlink("/hl1");
      o.unlink("/sym");
      o.unlink("/shadow");
      o.mkdir("/shadow", 0755);
      write(o, "/gone", "back\n");
    });
  }

  @Test
  void redirectDirOnRenamesOfLowerDirectories() throws IOException {
    check("redirect_dir=on", o -> {
      o.rename("/dir", "/dir-renamed", 0);
      o.rename("/dir2", "/merged/dir2", 0);
      o.rename("/deep/a", "/deep/a2", 0);
      o.rename("/l1only", "/l1only2", 0);
      o.rename("/l1only2", "/l1only", 0);
      o.mkdir("/x", 0755);
      o.rename("/dir-renamed", "/x/again", 0);
      write(o, "/merged/dir2/new", "new\n");
      o.unlink("/x/again/f1");
      o.rename("/x/again/sub", "/sub", 0);
      o.rename("/merged", "/merged2", 0);
      o.rename("/opq2", "/udir/opq2", 0);
    });
  }

  @Test
  void redirectDirOnExchangesOfLowerDirectories() throws IOException {
    // RENAME_EXCHANGE moves two objects: each lower directory keeps its redirect, each upper
    // one landing in a merged parent is made opaque, as the kernel's ovl_rename does.
    check("redirect_dir=on", o -> {
      o.rename("/dir", "/merged", Overlay.RENAME_EXCHANGE);
      o.rename("/dir2", "/l1only", Overlay.RENAME_EXCHANGE);
      o.mkdir("/fresh", 0755);
      write(o, "/fresh/n", "n\n");
      o.rename("/fresh", "/deep/a", Overlay.RENAME_EXCHANGE);
      o.rename("/udir", "/merged/sub", Overlay.RENAME_EXCHANGE);
      o.rename("/a.txt", "/opq2", Overlay.RENAME_EXCHANGE);
    });
  }

  @Test
  void metacopyOnAttributeChangesThenWrites() throws IOException {
    check("metacopy=on", o -> {
      o.chmod("/a.txt", 0600);
      o.chown("/b.txt", 7, 7);
      o.utimens("/dir/f1", Overlay.OMIT, 1_000_000_000_000_000_000L);
      o.setxattr("/big", "user.m", bytes("1"), 0);
      o.chmod("/hl1", 0640);
      append(o, "/a.txt", "more\n");
      o.link("/dir/f2", "/f2-link");
      o.rename("/exec.sh", "/exec2.sh", 0);
      o.rename("/dir/f3", "/merged/f3", 0);
      o.truncate("/big", 10);
    });
  }

  // ---- the check ----

  private void check(String extraOptions, Writes writes) throws IOException {
    RwFixture.Layers layers = RwFixture.copyLookedUp(scratch, "layers", extraOptions);
    String options = layers.options(extraOptions);
    List<TreeSnapshot> lowersBefore = new ArrayList<>();
    for (Path l : layers.lowers()) {
      lowersBefore.add(TreeSnapshot.ofDirectory(l).withLabel("before"));
    }
    TreeSnapshot writer;
    try (Overlay o = Overlay.open(OverlayConfig.parse(options))) {
      try {
        writes.apply(o);
      } catch (IOException e) {
        throw new AssertionError("overlay4j refused an operation the kernel performs (-o "
            + options + "): " + e, e);
      }
      writer = TreeSnapshot.ofOverlay("overlay4j (the writer)", o);
    }
    ReadWriteComparison.ReadBack back = ReadWriteComparison.readBack(layers, options,
        scratch.dir("layers/merged"));
    List<String> diffs = new ArrayList<>(back.problems());
    if (back.overlay4j() != null) {
      for (String d : writer.diff(back.overlay4j())) {
        diffs.add("reopened: " + d);
      }
    }
    ReadWriteComparison.checkLowersUnchanged(layers, lowersBefore, "changed during the test:",
        diffs);
    if (!diffs.isEmpty()) {
      StringBuilder sb = new StringBuilder("overlay4j wrote, the kernel read -o " + options
          + ": " + diffs.size() + " differences\n");
      for (String d : diffs) {
        sb.append("  ").append(d).append('\n');
      }
      if (back.kernel() != null) {
        sb.append(back.kernel().render());
      }
      sb.append(TreeSnapshot.ofDirectory(layers.upper()).withLabel("upper").render());
      fail(sb.toString());
    }
  }

  // ---- helpers ----

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void write(Overlay o, String path, String content) throws IOException {
    try (OverlayFile f = o.create(path, 0644, -1, -1, false)) {
      f.truncate(0);
      f.write(ByteBuffer.wrap(bytes(content)), 0);
    }
  }

  static void append(Overlay o, String path, String content) throws IOException {
    try (OverlayFile f = o.open(path, true, false)) {
      f.write(ByteBuffer.wrap(bytes(content)), f.size());
    }
  }
}
