package io.overlay4j.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** The harness itself: snapshots, their diff, the layer builder and mounts in a namespace. */
class HarnessTest {
  private Scratch scratch;

  @BeforeEach
  void scratch(TestInfo info) throws IOException {
    scratch = Scratch.create("harness-" + info.getTestMethod().orElseThrow().getName());
  }

  @AfterEach
  void cleanUp() {
    scratch.close();
  }

  private static void requireKernelOverlay() {
    Optional<String> why = KernelOverlay.unavailableReason();
    Assumptions.assumeTrue(why.isEmpty(), () -> "skipped: " + why.orElse(""));
  }

  @Test
  void diffNamesPathFieldAndBothValues() {
    TreeSnapshot.Entry file = new TreeSnapshot.Entry(TreeSnapshot.Type.REGULAR, 0644, 0, 0, 3,
        "abc", null, -1, 10, 1, new TreeMap<>(Map.of("user.a", "31")), 5, 6, null);
    TreeSnapshot.Entry other = new TreeSnapshot.Entry(TreeSnapshot.Type.REGULAR, 0600, 0, 0, 3,
        "abc", null, -1, 11, 1, new TreeMap<>(Map.of("user.a", "32")), 5, 6, null);
    TreeSnapshot a = new TreeSnapshot("kernel", Map.of("f", file, "only-a", file));
    TreeSnapshot b = new TreeSnapshot("overlay4j", Map.of("f", other,
        "new\nline", TreeSnapshot.Entry.listedOnly(TreeSnapshot.Type.LISTED_NOT_FOUND, null)));
    assertEquals(List.of(
        "f: mode: kernel=00644 overlay4j=00600",
        "f: ino: kernel=10 overlay4j=11",
        "f: xattr user.a: kernel=\"1\" overlay4j=\"2\"",
        "new\\x0aline: only in overlay4j (listed_not_found)",
        "only-a: only in kernel (regular mode=00644 uid=0 gid=0 size=3 nlink=1 ino=10"
            + " sha256=abc xattrs={user.a=\"1\"})"), a.diff(b));
    assertEquals(List.of("f: xattr user.a: kernel=\"1\" overlay4j=\"2\"",
            "new\\x0aline: only in overlay4j (listed_not_found)",
            "only-a: only in kernel (regular mode=00644 uid=0 gid=0 size=3 nlink=1 ino=10"
                + " sha256=abc xattrs={user.a=\"1\"})"),
        a.diff(b, EnumSet.of(TreeSnapshot.Field.MODE, TreeSnapshot.Field.INO)));
    AssertionError e = assertThrows(AssertionError.class,
        () -> a.requireSameAs(b, TreeSnapshot.EVERYTHING, "view"));
    assertTrue(e.getMessage().startsWith("view: 5 differences between kernel and overlay4j\n"),
        e.getMessage());
  }

  @Test
  void ofDirectorySeesTheOnDiskFormat() throws IOException {
    requireKernelOverlay(); // root: whiteout devices and trusted.* xattrs
    LayerBuilder l = scratch.layer("layer");
    l.whiteout("wo").hardlink("wo2", "wo").dir("d").opaque("d").xattrWhiteout("x/gone")
        .file("new\nline\\back", "n").xattr("new\nline\\back", "user.k", new byte[] {1, 2})
        .file("setuid", "s", 04711).chown("setuid", 12, 34).chmod("setuid", 04711)
        .symlink("s", "new\nline\\back").fifo("p", 0600).file("-dash", "d", 0644);
    Path root = l.build();
    TreeSnapshot s = TreeSnapshot.ofDirectory(root);
    assertEquals(TreeSnapshot.Type.CHAR_DEVICE, s.get("wo").type(), s.render());
    assertEquals(0, s.get("wo").rdev());
    assertEquals(2, s.get("wo").nlink());
    assertEquals(s.get("wo").ino(), s.get("wo2").ino());
    assertEquals(Map.of("trusted.overlay.opaque", "79"), s.get("d").xattrs());
    assertEquals(Map.of("trusted.overlay.opaque", "78"), s.get("x").xattrs());
    assertEquals(Map.of("trusted.overlay.whiteout", ""), s.get("x/gone").xattrs());
    assertEquals(Map.of("user.k", "0102"), s.get("new\nline\\back").xattrs());
    assertEquals(04711, s.get("setuid").mode());
    assertEquals(12, s.get("setuid").uid());
    assertEquals(34, s.get("setuid").gid());
    assertEquals("new\nline\\back", s.get("s").target());
    assertEquals(TreeSnapshot.Type.FIFO, s.get("p").type());
    assertEquals(TreeSnapshot.Type.REGULAR, s.get("-dash").type());
    assertTrue(s.diff(TreeSnapshot.ofDirectory(root)).isEmpty());
  }

  @Test
  void mountIsPrivateWritableAndGoneAfterClose() throws IOException {
    requireKernelOverlay();
    Path lower = scratch.layer("lower").file("f", "lower\n").build();
    Path upper = scratch.dir("upper");
    Path work = scratch.dir("work");
    Path merged = scratch.dir("merged");
    MountedTree m = KernelOverlay.mount(KernelOverlay.options(List.of(lower), upper, work),
        merged);
    try {
      // Inside the namespace: a commands run in the mount point and change the overlay.
      m.shOk("echo more >> f && rm -f f2 && mkdir d && ln -s f d/link");
      assertEquals("lower\nmore\n", m.shOk("cat f").out());
      assertEquals("overlayfs\n", m.shOk("stat -f -c %T .").out());
      // From this JVM: through the namespace holder, not through the mount point.
      assertEquals("lower\nmore\n", Files.readString(m.hostPath().resolve("f")));
      assertFalse(Files.exists(merged.resolve("f")), "the mount leaked out of its namespace");
      assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(merged.toString()));
      TreeSnapshot view = m.snapshot();
      assertEquals("f", view.get("d/link").target());
      // The command runner reports failures with the command's own message.
      Shell.Result r = m.sh("cat no-such-file");
      assertEquals(1, r.exitCode());
      assertTrue(r.stderr().contains("No such file"), r.describe());
    } finally {
      m.close();
    }
    assertEquals("lower\nmore\n", Files.readString(upper.resolve("f")));
    assertTrue(Files.isSymbolicLink(upper.resolve("d/link")));
    assertThrows(IllegalStateException.class, () -> m.sh("true"));
  }

  @Test
  void failedMountSaysWhy() throws IOException {
    requireKernelOverlay();
    Path merged = scratch.dir("merged");
    IOException e = assertThrows(IOException.class, () -> KernelOverlay.mount(
        "lowerdir=" + scratch.root().resolve("missing-1") + ":" + scratch.root()
            .resolve("missing-2"), merged));
    assertTrue(e.getMessage().startsWith("kernel: mount of " + merged), e.getMessage());
    assertTrue(e.getMessage().contains("missing-1"), e.getMessage());
  }
}
