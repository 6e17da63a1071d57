package io.overlay4j.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing /proc/self/mountinfo to tell whether two directories share a mount. */
class MountTableTest {
  static final List<String> LINES =
      List.of(
          "21 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
          "22 21 0:20 / /dev/shm rw,nosuid,nodev shared:2 - tmpfs tmpfs rw",
          "30 21 254:0 /srv/data /mnt/bind rw,relatime shared:1 - ext4 /dev/vda rw",
          "31 21 0:30 / /mnt/with\\040space rw - tmpfs tmpfs rw",
          "32 30 0:31 / /mnt/bind rw - tmpfs tmpfs rw",
          "garbage line",
          "");

  @Test
  void longestMountPointWins() {
    MountTable t = MountTable.parse(LINES);
    assertEquals(21, t.mountOf(Path.of("/tmp/x")).id);
    assertEquals(22, t.mountOf(Path.of("/dev/shm/w")).id);
    assertEquals(22, t.mountOf(Path.of("/dev/shm")).id);
  }

  @Test
  void theLastMountOnAPointHidesEarlierOnes() {
    assertEquals(32, MountTable.parse(LINES).mountOf(Path.of("/mnt/bind/u")).id);
  }

  @Test
  void octalEscapesInMountPoints() {
    MountTable.Mount m = MountTable.parse(LINES).mountOf(Path.of("/mnt/with space/u"));
    assertEquals(31, m.id);
    assertEquals(Path.of("/mnt/with space"), m.mountPoint);
    assertEquals("a\\b c\tä", MountTable.unescapeOctal("a\\134b\\040c\\011ä"));
    assertEquals("a\\x", MountTable.unescapeOctal("a\\x"));
  }

  @Test
  void pathsOutsideEveryMountHaveNone() {
    assertNull(MountTable.parse(List.of("22 1 0:20 / /dev/shm rw - tmpfs tmpfs rw")).mountOf(Path.of("/tmp")));
  }

  @Test
  void currentTableKnowsTheRootMount() {
    assumeTrue(
        Files.isReadable(Path.of("/proc/self/mountinfo")),
        "no /proc/self/mountinfo (not Linux): validate() then compares devices only");
    MountTable t = MountTable.current();
    assertNotNull(t);
    assertNotNull(t.mountOf(Path.of("/")));
  }
}
