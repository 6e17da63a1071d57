package io.overlay4j.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * overlay4j's merged view of layers in the kernel's on-disk format equals the kernel overlay's
 * view of the same directories: names, types, modes, owners, sizes, content, link targets,
 * device numbers, inode numbers, link counts, xattrs and times. Lower layers stay unchanged.
 */
class KernelReadOnlyDifferentialTest {
  private Scratch scratch;

  @BeforeEach
  void scratch(TestInfo info) throws IOException {
    Optional<String> why = KernelOverlay.unavailableReason();
    Assumptions.assumeTrue(why.isEmpty(), () -> "kernel differential tests skipped: "
        + why.orElse(""));
    scratch = Scratch.create(info.getTestMethod().orElseThrow().getName());
  }

  @AfterEach
  void cleanUp() {
    if (scratch != null) {
      scratch.close();
    }
  }

  /** Three lowers exercising every whiteout and opaque form and every object type. */
  @Test
  void threeLowerLayersWithEveryWhiteoutAndOpaqueForm() throws IOException {
    List<Path> lowers = threeLayers();
    ReadOnlyComparison.Outcome seen = ReadOnlyComparison.compare(scratch, lowers, false);
    // Guard against a vacuous pass: the scenario's key cases must be in the kernel's view.
    TreeSnapshot k = seen.kernel();
    assertEquals(TreeSnapshot.Type.LISTED_NOT_FOUND, k.get("solo/cw").type(), k.render());
    assertNotNull(k.get("op/new"), k.render());
    assertEquals(null, k.get("op/old"), k.render());
    assertEquals(TreeSnapshot.Type.REGULAR, k.get("fhd").type(), k.render());
    assertEquals(null, k.get("gone-dir"), k.render());
  }

  /** The same layers two at a time: the top two, and the bottom two. */
  @Test
  void twoLowerLayers() throws IOException {
    List<Path> lowers = threeLayers();
    ReadOnlyComparison.compare(scratch, lowers.subList(0, 2), false);
  }

  @Test
  void bottomTwoLowerLayers() throws IOException {
    List<Path> lowers = threeLayers();
    ReadOnlyComparison.compare(scratch, lowers.subList(1, 3), false);
  }

  /** One lower with an empty upper and work directory: the kernel's only 1-lower form. */
  @Test
  void oneLowerLayerWithEmptyUpper() throws IOException {
    List<Path> lowers = threeLayers();
    ReadOnlyComparison.compare(scratch, lowers.subList(0, 1), true);
  }

  /** Three lowers with an empty upper: the merged root then has an upper copy. */
  @Test
  void threeLowerLayersWithEmptyUpper() throws IOException {
    ReadOnlyComparison.compare(scratch, threeLayers(), true);
  }

  /** Layer directories whose names need the option string's escapes. */
  @Test
  void layerDirectoriesWithCommaColonAndSpaceInTheirNames() throws IOException {
    LayerBuilder a = scratch.layer("top,with:odd name");
    LayerBuilder b = scratch.layer("bottom\\back slash");
    a.file("a", "top").whiteout("gone").dir("d").file("d/x", "x");
    b.file("gone", "hidden").file("b", "bottom").dir("d").file("d/y", "y");
    a.build();
    b.build();
    ReadOnlyComparison.Outcome seen =
        ReadOnlyComparison.compare(scratch, List.of(a.root(), b.root()), false);
    assertNotNull(seen.kernel().get("d/y"), seen.kernel().render());
  }

  // ---- the layers ----

  /**
   * l1 (top), l2, l3. Each case names the layers it spans; the comment says what the merged
   * view should show.
   */
  private List<Path> threeLayers() throws IOException {
    LayerBuilder l1 = scratch.layer("l1");
    LayerBuilder l2 = scratch.layer("l2");
    LayerBuilder l3 = scratch.layer("l3");

    // Plain objects of each layer, visible.
    l3.file("plain-3", "bottom\n");
    l2.file("plain-2", "middle\n");
    l1.file("plain-1", "top\n");

    // A char 0/0 whiteout hides a file and a whole directory below it.
    l1.whiteout("gone-file").whiteout("gone-dir");
    l3.file("gone-file", "hidden\n");
    l2.dir("gone-dir").file("gone-dir/inner", "hidden\n");
    l3.dir("gone-dir/deeper").file("gone-dir/deeper/x", "hidden\n");
    // Kernel-style whiteouts are hard links of one inode.
    l1.whiteout("wo-1").hardlink("wo-2", "wo-1");
    l2.file("wo-1", "hidden\n").file("wo-2", "hidden\n");
    // A whiteout with nothing below it, in a merged directory: not listed.
    l3.whiteout("orphan-whiteout");

    // xattr whiteouts in a merged directory marked opaque=x: hidden and not listed.
    l1.dir("xw").xattrWhiteout("xw/a").xattrWhiteout("xw/sub").file("xw/top", "t");
    l2.dir("xw").file("xw/a", "hidden").file("xw/mid", "m");
    l3.dir("xw").dir("xw/sub").file("xw/sub/f", "hidden").file("xw/keep", "k");
    // ... in a merged directory without the mark: listed, but not found.
    l1.dir("xu").xattrWhiteoutUnmarked("xu/b").file("xu/c", "c");
    l2.dir("xu").file("xu/b", "hidden");
    // ... an xattr "whiteout" that is not empty is a plain file.
    l1.file("xw/not-a-whiteout", "abc").xattr("xw/not-a-whiteout", LayerBuilder.WHITEOUT_XATTR,
        "");
    l2.file("xw/not-a-whiteout", "below");

    // The kernel never reads the opaque xattr of the bottom-most lower layer (namei.c:
    // ovl_lookup_single stops at d->last), so an "x" mark there is ignored: listed, not found.
    l1.dir("x-bottom").file("x-bottom/t", "t");
    l3.dir("x-bottom").xattrWhiteout("x-bottom/w");
    // readdir hides xattr whiteouts of a layer when the merged directory has an "x" mark in
    // any (non-upper, non-bottom) layer AND that layer has shown an "x" mark to a lookup
    // before (the kernel's sticky per-layer has_xwhiteouts). "x-flag-b" sorts before
    // "x-flag-c", so the walk looks it up first and flags l2; l2's unmarked copy of x-flag-c
    // then has its xattr whiteout hidden because l1's copy is marked.
    l2.dir("x-flag-b").holdsXattrWhiteouts("x-flag-b").file("x-flag-b/f", "f");
    l3.dir("x-flag-b").file("x-flag-b/g", "g");
    l1.dir("x-flag-c").holdsXattrWhiteouts("x-flag-c").file("x-flag-c/t", "t");
    l2.dir("x-flag-c").xattrWhiteoutUnmarked("x-flag-c/n");
    l3.dir("x-flag-c").file("x-flag-c/n", "hidden");

    // A directory in one layer only is passed through unfiltered: its whiteouts are listed.
    l1.dir("solo").file("solo/f", "f").whiteout("solo/cw").xattrWhiteoutUnmarked("solo/xw");
    l1.dir("solox").holdsXattrWhiteouts("solox").xattrWhiteoutUnmarked("solox/xw")
        .file("solox/g", "g");
    l3.dir("deep-solo/a/b").whiteout("deep-solo/a/b/w").file("deep-solo/a/b/f", "f");

    // Opaque directories: on top, in the middle, and an opaque one holding a whiteout.
    l1.dir("op").opaque("op").file("op/new", "new");
    l2.dir("op").file("op/old", "old");
    l3.dir("op").file("op/older", "older");
    l1.dir("mid").file("mid/top", "t");
    l2.dir("mid").opaque("mid").file("mid/middle", "m");
    l3.dir("mid").file("mid/bottom", "hidden");
    l1.dir("opw").opaque("opw").whiteout("opw/x").file("opw/y", "y");
    l2.dir("opw").file("opw/x", "x");
    // An opaque directory in the bottom layer (nothing below to hide).
    l3.dir("op-bottom").opaque("op-bottom").file("op-bottom/f", "f");

    // Files hiding directories and directories hiding files.
    l1.file("fhd", "file hides dir");
    l2.dir("fhd").file("fhd/in", "hidden");
    l1.dir("dhf").file("dhf/in", "dir hides file");
    l2.file("dhf", "hidden");
    l2.dir("m").file("m/x", "file in l2 hides dir in l3");
    l3.dir("m").dir("m/x").file("m/x/y", "hidden").file("m/z", "z");
    l1.symlink("shd", "plain-3");
    l3.dir("shd").file("shd/in", "hidden");
    // A whiteout between two directories ends the merge.
    l1.dir("wmid").file("wmid/a", "a");
    l2.whiteout("wmid");
    l3.dir("wmid").file("wmid/b", "hidden");
    // A fifo hides a file, a device hides a directory.
    l1.fifo("fifo-over-file", 0640);
    l2.file("fifo-over-file", "hidden");
    l2.charDevice("dev-over-dir", 1, 3);
    l3.dir("dev-over-dir").file("dev-over-dir/x", "hidden");
    l3.charDevice("char-0-1", 0, 1).charDevice("char-5-0", 5, 0);
    l3.blockDevice("blk", 7, 0);

    // Hard links inside one layer, one of the names whited out above.
    l2.file("hl-1", "linked\n").hardlink("hl-2", "hl-1").hardlink("gone-dir-sibling/hl-3",
        "hl-1");
    l1.whiteout("hl-2");

    // Symlinks: relative, absolute, dangling, to a directory, a loop.
    l2.symlink("link-rel", "plain-3").symlink("link-abs", "/etc/hostname")
        .symlink("link-dangling", "no/such/target").symlink("link-dir", "m")
        .symlink("link-loop", "link-loop").symlink("link-weird", "a b\nc\\d ü");

    // Modes and owners; a merged directory takes its attributes from its topmost copy.
    l1.file("mode-0600", "x", 0600).file("mode-4755", "x", 04755).file("mode-0000", "", 0)
        .file("mode-2711", "x", 02711).file("mode-0444", "x", 0444);
    l2.dir("sticky", 01777).file("sticky/f", "f");
    l1.file("owned", "o").chown("owned", 1234, 5678).chmod("owned", 04750);
    l1.dir("attrs", 0700).chown("attrs", 42, 43).xattr("attrs", "user.top", "1");
    l2.dir("attrs", 0755).xattr("attrs", "user.mid", "2").file("attrs/f", "f");
    l3.dir("attrs", 0711).chown("attrs", 7, 8).file("attrs/g", "g");

    // Extended attributes: user, a non-overlay trusted one, escaped and private overlay ones.
    l1.xattr("plain-1", "user.text", "hello").xattr("plain-1", "user.bin",
        new byte[] {0, (byte) 0xff, '\n'}).xattr("plain-1", "user.empty", "");
    l2.xattr("plain-2", "trusted.other", "t");
    l2.xattr("plain-2", "trusted.overlay.overlay.escaped", "e");
    l3.xattr("plain-3", "trusted.overlay.origin", "junk").xattr("plain-3", "user.k", "v");
    l2.xattr("m", "trusted.overlay.impure", "y");

    // Names: spaces, UTF-8, a newline, a backslash, a leading dash, commas and colons.
    l1.file("with space", "s").file("ü ñ 日本語", "u").file("new\nline", "n")
        .file("back\\slash", "b").file("-dash", "d").file("comma,colon:", "c");
    l3.file("with space", "hidden").dir("ü ñ 日本語").file("ü ñ 日本語/x", "hidden");

    // Deep paths, merged at several depths.
    l1.file("d1/d2/d3/d4/d5/d6/top", "deep");
    l2.file("d1/d2/d3/d4/d5/d6/mid", "deep").whiteout("d1/d2/d3/gone");
    l3.file("d1/d2/d3/d4/d5/d6/bottom", "deep").file("d1/d2/d3/gone/x", "hidden")
        .file("d1/d2/bottom", "b");

    // Sizes: empty, one byte, a megabyte that is not all zeros.
    byte[] big = new byte[1 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31 + (i >> 12));
    }
    l2.file("empty", new byte[0], 0644).file("one", "1").file("big", big, 0644);
    l3.file("big", "small".getBytes(StandardCharsets.UTF_8), 0644);

    // An empty directory, and an empty one over a full one (merged).
    l2.dir("empty-dir");
    l1.dir("merged-empty");
    l3.dir("merged-empty").file("merged-empty/f", "f");

    return Arrays.asList(l1.build(), l2.build(), l3.build());
  }
}
