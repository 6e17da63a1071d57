package io.overlay4j.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Interop, the kernel writes and overlay4j reads: shell commands in a kernel overlay mount over
 * a fresh copy of {@link RwFixture} (whiteouts, opaque directories, redirects, metacopy files,
 * hard links, xattrs), unmounted; then {@code Overlay.open} with the same options over the same
 * directories must show exactly what the kernel shows when it mounts them again read-only —
 * every field, ctime and inode numbers included — and must not change the upper layer while
 * reading it. Lower layers must be unchanged.
 */
class KernelWrittenUpperOverlay4jReadsTest {
  private Scratch scratch;

  @BeforeEach
  void scratch() throws IOException {
    Optional<String> why = KernelOverlay.unavailableReason();
    Assumptions.assumeTrue(why.isEmpty(), () -> "kernel interop tests skipped: "
        + why.orElse(""));
    scratch = Scratch.create("kernel-writes");
  }

  @AfterEach
  void cleanUp() {
    if (scratch != null) {
      scratch.close();
    }
  }

  @Test
  void whiteoutsOpaqueDirectoriesHardLinksAndXattrs() throws IOException {
    check("", """
        rm dir/f1 b.txt sym merged/x merged/w
        rm -r dir2 l1only
        mkdir dir2
        echo n > dir2/n
        rm -r opq2
        mkdir opq2
        mv dir/f3 merged/f3
        mv u.txt dir/f2
        mv hl1 deep/a/hl1
        ln a.txt a-link
        ln dir/sub/deep merged/deep-link
        ln -s a.txt s2
        echo more >> a-link
        truncate -s 1 big
        chmod 600 ro.txt
        chown 7:8 exec.sh
        touch -d @1000000000 empty
        setfattr -n user.new -v v a.txt
        setfattr -x user.k a.txt
        setfattr -n user.d -v upper dir
        setfattr -n trusted.overlay.escaped -v e merged
        mkfifo fifo
        mknod null c 1 3
        exec 3>>hl2; echo x >&3; rm hl2; exec 3>&-
        mkdir -p new/deep
        echo f > new/deep/f
        echo back > gone
        mkdir old-l2
        rm shadow
        mkdir shadow
        """);
  }

  @Test
  void redirectDirOnRenamesWithinAndAcrossParents() throws IOException {
    TreeSnapshot upper = check("redirect_dir=on", """
        mv dir dir-renamed
        mv dir2 merged/dir2
        mv deep/a deep/a2
        mv l1only l1only2
        mv l1only2 l1only
        mkdir x
        mv dir-renamed x/again
        echo new > merged/dir2/new
        rm x/again/f1
        mv x/again/sub sub
        mv merged merged2
        mv opq2 udir/opq2
        rm -r udir/opq2
        """);
    // Guard against a vacuous pass: both redirect forms are on disk.
    assertEquals("\"a\"", xattr(upper, "deep/a2", "trusted.overlay.redirect"),
        upper.render());
    assertEquals("\"/dir\"", xattr(upper, "x/again", "trusted.overlay.redirect"),
        upper.render());
  }

  @Test
  void redirectDirOnRenameBackToTheOriginalName() throws IOException {
    check("redirect_dir=on", """
        mv dir d1
        mv d1 dir
        mkdir x
        mv dir2 x/
        mv x/dir2 dir2
        mv merged opq2/
        """);
  }

  @Test
  void metacopyOnAttributeChangesThenWrites() throws IOException {
    TreeSnapshot upper = check("metacopy=on", """
        chmod 600 a.txt
        chown 7:7 b.txt
        touch -d @1000000000 dir/f1
        setfattr -n user.m -v 1 big
        chmod 640 hl1
        echo more >> a.txt
        ln dir/f2 f2-link
        mv exec.sh exec2.sh
        mv dir/f3 merged/f3
        mv merged/f3 udir/f3
        truncate -s 10 big
        chmod 700 deep/a/b/c
        """);
    // Guard against a vacuous pass: metacopy files and their redirects are on disk.
    assertEquals("\"\"", xattr(upper, "b.txt", "trusted.overlay.metacopy"), upper.render());
    assertEquals("\"/dir/f2\"", xattr(upper, "f2-link", "trusted.overlay.redirect"),
        upper.render());
  }

  @Test
  void metacopyAndRedirectTogether() throws IOException {
    check("metacopy=on,redirect_dir=on", """
        chmod 600 dir/f1
        mv dir dir-r
        cat dir-r/f1
        chown 5:5 dir-r/f2
        mkdir y
        mv dir-r y/
        echo more >> y/dir-r/f2
        ln y/dir-r/sub/deep deep-link
        """);
  }

  /** An xattr of a snapshot entry as {@link TreeSnapshot} shows it, or "absent". */
  static String xattr(TreeSnapshot s, String path, String name) {
    TreeSnapshot.Entry e = s.get(path);
    String hex = e == null || e.xattrs() == null ? null : e.xattrs().get(name);
    return hex == null ? "absent" : TreeSnapshot.showHex(hex);
  }

  // ---- the check ----

  /** Runs the commands in a kernel mount, then requires overlay4j to read the result alike. */
  private TreeSnapshot check(String extraOptions, String commands) throws IOException {
    RwFixture.Layers layers = RwFixture.copyLookedUp(scratch, "layers", extraOptions);
    String options = layers.options(extraOptions);
    List<TreeSnapshot> lowersBefore = new ArrayList<>();
    for (Path l : layers.lowers()) {
      lowersBefore.add(TreeSnapshot.ofDirectory(l).withLabel("before"));
    }
    Shell.Result r;
    try (MountedTree m = KernelOverlay.mount(options, scratch.dir("layers/merged"))) {
      r = m.sh("set -e\n" + commands);
    }
    if (!r.ok()) {
      throw new AssertionError("the kernel refused a command of the setup: " + r.describe());
    }
    TreeSnapshot upper = TreeSnapshot.ofDirectory(layers.upper()).withLabel("upper");
    ReadWriteComparison.ReadBack back = ReadWriteComparison.readBack(layers, options,
        scratch.dir("layers/merged"));
    List<String> diffs = new ArrayList<>(back.problems());
    ReadWriteComparison.checkLowersUnchanged(layers, lowersBefore, "changed during the test:",
        diffs);
    if (!diffs.isEmpty()) {
      StringBuilder sb = new StringBuilder("the kernel wrote, overlay4j read -o " + options
          + ": " + diffs.size() + " differences\n  commands:\n    "
          + commands.strip().replace("\n", "\n    ") + "\n");
      for (String d : diffs) {
        sb.append("  ").append(d).append('\n');
      }
      sb.append(upper.render());
      fail(sb.toString());
    }
    return upper;
  }
}
