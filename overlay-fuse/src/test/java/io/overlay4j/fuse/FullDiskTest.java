package io.overlay4j.fuse;

import static io.overlay4j.fuse.FuseTestSupport.sh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlay4j.core.Errno;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.config.OverlayConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A full upper filesystem (a 4 MiB tmpfs): copy-ups and writes fail with ENOSPC, and neither
 * the lower data, nor the merged view, nor upper and work/ are damaged by the failed copy-up.
 */
class FullDiskTest {
  TestMount t;
  Path disk;
  byte[] big;
  String options;

  @BeforeEach
  void smallUpper() throws Exception {
    FuseTestSupport.assumeFuseMounts();
    t = new TestMount();
    disk = Files.createDirectory(t.root.resolve("disk"));
    sh("mount -t tmpfs -o size=4m tmpfs '" + disk + "'").ok();
    Files.createDirectories(disk.resolve("upper"));
    Files.createDirectories(disk.resolve("work"));
    big = new byte[6 << 20];
    new Random(7).nextBytes(big);
    Files.write(t.l1.resolve("big"), big);
    Files.writeString(t.l1.resolve("small"), "small");
    options = "lowerdir=" + t.l1 + ":" + t.l2 + ",upperdir=" + disk.resolve("upper")
        + ",workdir=" + disk.resolve("work");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (t == null) {
      return;
    }
    try {
      if (MountTable.isMountPoint(t.merged)) {
        MountTable.unmount(t.merged, false);
      }
      sh("umount '" + disk + "'");
    } finally {
      t.close();
    }
  }

  private List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aCopyUpThatDoesNotFitFailsCleanly() throws Exception {
    Overlay o = Overlay.open(OverlayConfig.parse(options));
    OverlayException e = assertThrows(OverlayException.class, () -> o.open("/big", true, false));
    assertEquals(Errno.ENOSPC, e.errno());
    assertEquals(List.of(), names(disk.resolve("work/work")), "no half copy-up left in work/");
    assertEquals(List.of(), names(disk.resolve("upper")), "no partial file in upper");
    assertEquals(big.length, o.getattr("/big").size(), "the merged view still shows the lower file");
    assertArrayEquals(big, Files.readAllBytes(t.l1.resolve("big")), "lower data intact");
    o.open("/small", true, false).close(); // what fits still works
    assertEquals(List.of("small"), names(disk.resolve("upper")));
  }

  @Test
  void throughTheMountWritesGetEnospcAndNothingIsDamaged() throws Exception {
    FuseTestSupport.overlay4j("mount", "-o", options, t.merged.toString()).ok();
    FuseTestSupport.Result append = sh("echo x >> '" + t.merged.resolve("big") + "'");
    assertTrue(append.status() != 0 && append.output().contains("No space left"),
        append.output());
    assertArrayEquals(big, Files.readAllBytes(t.merged.resolve("big")));
    FuseTestSupport.Result fill = sh("dd if=/dev/zero of='" + t.merged.resolve("fill")
        + "' bs=1M count=8 2>&1");
    assertTrue(fill.status() != 0 && fill.output().contains("No space left"), fill.output());
    sh("rm '" + t.merged.resolve("fill") + "'").ok();
    sh("echo fits > '" + t.merged.resolve("after") + "'").ok();
    assertEquals("fits\n", Files.readString(t.merged.resolve("after")));
    FuseTestSupport.overlay4j("umount", t.merged.toString()).ok();
    assertArrayEquals(big, Files.readAllBytes(t.l1.resolve("big")));
    assertEquals(List.of(), names(disk.resolve("work/work")));
    assertFalse(Files.exists(disk.resolve("upper/big")));
  }
}
