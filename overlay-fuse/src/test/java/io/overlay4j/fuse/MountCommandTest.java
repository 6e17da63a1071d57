package io.overlay4j.fuse;

import static io.overlay4j.fuse.FuseTestSupport.overlay4j;
import static io.overlay4j.fuse.FuseTestSupport.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The overlay4j command: mount, umount, signals, kill -9, mount(8)'s helper, bad input. */
class MountCommandTest {
  TestMount t;

  @BeforeEach
  void layers() throws Exception {
    FuseTestSupport.assumeFuseMounts();
    t = new TestMount();
    Files.writeString(t.l1.resolve("f"), "lower");
    Files.writeString(t.l2.resolve("g"), "g");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (t != null) {
      t.close();
    }
  }

  private long serverPid() throws Exception {
    String out = sh("pgrep -f 'Main mount -f .*" + t.merged + "'").output().strip();
    return Long.parseLong(out.lines().findFirst().orElseThrow());
  }

  @Test
  void mountReturnsOnceLiveAndUmountEndsTheServer() throws Exception {
    FuseTestSupport.Result r = overlay4j("mount", "-o", t.options(), t.merged.toString()).ok();
    assertTrue(r.output().contains("mounted " + t.merged), r.output());
    assertTrue(MountTable.isOverlay4j(t.merged));
    assertEquals("lower", Files.readString(t.merged.resolve("f")), "live as soon as mount returned");
    Files.writeString(t.merged.resolve("f"), "upper");
    long pid = serverPid();
    overlay4j("umount", t.merged.toString()).ok();
    assertFalse(MountTable.isMountPoint(t.merged));
    assertTrue(MountCommand.await(() -> ProcessHandle.of(pid).isEmpty(), 20), "server exited");
    assertEquals("upper", Files.readString(t.upper.resolve("f")));
  }

  @Test
  void statsReportsTheServersCounters() throws Exception {
    overlay4j("mount", "-o", t.options(), t.merged.toString()).ok();
    sh("cd '" + t.merged + "' && cat f g >/dev/null && echo x >> f && rm g").ok();
    String json = overlay4j("stats", "--json", t.merged.toString()).ok().output();
    var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    assertEquals(1, root.get("core").get("copyUps").asLong(), json);
    assertEquals(1, root.get("core").get("whiteouts").asLong(), json);
    assertTrue(root.get("core").get("cacheHits").asLong() > 0, json);
    assertTrue(root.get("requests").get("unlink").get("count").asLong() >= 1, json);
    String table = overlay4j("stats", t.merged.toString()).ok().output();
    assertTrue(table.contains("copyUps") && table.contains("getattr"), table);
    assertFalse(sh("getfattr -d '" + t.merged + "'").output().contains("overlay4j"),
        "the virtual attribute is not listed");
    overlay4j("umount", t.merged.toString()).ok();
  }

  @Test
  void sigtermAndSigintUnmountCleanly() throws Exception {
    for (String signal : List.of("TERM", "INT")) {
      overlay4j("mount", "-o", t.options(), t.merged.toString()).ok();
      long pid = serverPid();
      sh("kill -" + signal + " " + pid).ok();
      assertTrue(MountCommand.await(() -> !MountTable.isMountPoint(t.merged), 20),
          "SIG" + signal + " unmounts");
      assertTrue(MountCommand.await(() -> ProcessHandle.of(pid).isEmpty(), 20));
    }
  }

  @Test
  void afterKillDashNineANewMountWorksAndNothingIsLost() throws Exception {
    overlay4j("mount", "-o", t.options(), t.merged.toString()).ok();
    sh("cd '" + t.merged + "' && echo kept > new && echo more >> f && rm g && sync").ok();
    sh("kill -9 " + serverPid()).ok();
    assertTrue(MountTable.isMountPoint(t.merged), "a killed server leaves a dead mount");
    overlay4j("mount", "-o", t.options(), t.merged.toString()).ok();
    assertEquals("kept\n", Files.readString(t.merged.resolve("new")));
    assertEquals("lowermore\n", Files.readString(t.merged.resolve("f")));
    assertFalse(Files.exists(t.merged.resolve("g")));
    overlay4j("umount", t.merged.toString()).ok();
  }

  @Test
  void mountDashTFuseOverlay4jThroughTheInstalledHelper() throws Exception {
    Path helper = Path.of("/sbin/mount.fuse.overlay4j");
    boolean ours = !Files.exists(helper);
    try {
      if (ours) {
        overlay4j("install-helper").ok();
      }
      // mount(8) runs the helper with an empty environment and adds generic options.
      sh("env -i /bin/mount -t fuse.overlay4j overlay4j '" + t.merged + "' -o rw,noatime,"
          + t.options()).ok();
      assertTrue(MountTable.isOverlay4j(t.merged));
      assertEquals("lower", Files.readString(t.merged.resolve("f")));
      sh("umount '" + t.merged + "'").ok();
      assertFalse(MountTable.isMountPoint(t.merged));
    } finally {
      if (ours) {
        Files.deleteIfExists(helper);
      }
    }
  }

  @Test
  void fuseOverlayfsCallingConvention() throws Exception {
    overlay4j("-o", t.options(), t.merged.toString()).ok();
    assertEquals("g", Files.readString(t.merged.resolve("g")));
    overlay4j("umount", t.merged.toString()).ok();
  }

  @Test
  void badInputGetsOnePreciseErrorAndMountsAndCreatesNothing() throws Exception {
    List<String[]> cases = List.of(
        new String[] {"lowerdir=" + t.root.resolve("missing") + ",upperdir=" + t.upper
            + ",workdir=" + t.work, "missing"},
        new String[] {"lowerdir=" + t.l1 + ",upperdir=" + t.upper, "workdir"},
        new String[] {t.options() + ",bogus=1", "bogus"},
        new String[] {"lowerdir=" + t.l1 + ":,upperdir=" + t.upper + ",workdir=" + t.work,
            "lowerdir"},
        new String[] {"lowerdir=" + t.l1 + ",upperdir=" + t.upper + ",workdir="
            + t.upper.resolve("w"), "workdir"});
    for (String[] c : cases) {
      FuseTestSupport.Result r = overlay4j("mount", "-o", c[0], t.merged.toString());
      assertNotEquals(0, r.status(), c[0]);
      assertTrue(r.output().startsWith("overlay4j: ") && r.output().contains(c[1]), r.output());
      assertEquals(1, r.output().strip().lines().count(), "one line: " + r.output());
      assertFalse(MountTable.isMountPoint(t.merged));
    }
    try (Stream<Path> s = Files.walk(t.root)) {
      assertEquals(List.of("f", "g", "l1", "l2", "merged", "upper", "work"),
          s.filter(p -> !p.equals(t.root)).map(p -> p.getFileName().toString()).sorted()
              .toList(), "nothing was created in any layer");
    }
    FuseTestSupport.Result r = overlay4j("mount", "-o", t.options(),
        t.root.resolve("nowhere").toString());
    assertTrue(r.status() != 0 && r.output().contains("does not exist"), r.output());
  }

  @Test
  void aBusyMountPointIsRefused() throws Exception {
    overlay4j("mount", "-o", t.options(), t.merged.toString()).ok();
    FuseTestSupport.Result r = overlay4j("mount", "-o", t.options(), t.merged.toString());
    assertTrue(r.status() != 0 && r.output().contains("already a mount point"), r.output());
    overlay4j("umount", t.merged.toString()).ok();
    FuseTestSupport.Result again = overlay4j("umount", t.merged.toString());
    assertTrue(again.status() != 0 && again.output().contains("not mounted"), again.output());
  }

}
