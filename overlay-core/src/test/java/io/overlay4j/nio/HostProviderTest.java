package io.overlay4j.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlay4j.core.layer.HostLayer;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The provider over host directories, opened with the mount options {@code lowerdir},
 * {@code upperdir}, {@code workdir} exactly as {@code mount -t overlay} takes them (kernel
 * on-disk format: needs root and the native OS seam for whiteouts and trusted.* xattrs).
 */
class HostProviderTest extends ProviderContract {
  private Path root;
  private HostLayer lower;

  @Override
  @BeforeEach
  void setUp() throws IOException {
    assumeTrue(OsAccess.system().isNative(),
        "the native OS seam (jnr-ffi) did not load: whiteouts and trusted.* xattrs need it");
    assumeTrue("root".equals(System.getProperty("user.name")),
        "host layers in the kernel's format need root (mknod of whiteouts, trusted.* xattrs)");
    root = Files.createTempDirectory("overlay4j-nio-host");
    Files.createDirectories(root.resolve("lower"));
    Files.createDirectories(root.resolve("upper"));
    Files.createDirectories(root.resolve("work"));
    lower = new HostLayer(root.resolve("lower"));
    super.setUp();
  }

  @Override
  @AfterEach
  void lowerLayerIsNeverWritten() throws IOException {
    if (root == null) {
      return;
    }
    try {
      super.lowerLayerIsNeverWritten();
    } finally {
      try (Stream<Path> s = Files.walk(root)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Override
  WritableLayer lower() {
    return lower;
  }

  @Override
  Layer upper() throws IOException {
    return new HostLayer(root.resolve("upper"));
  }

  @Override
  FileSystem open(String name, Map<String, Object> options) throws IOException {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("lowerdir", root.resolve("lower")); // a Path: escaped for the option syntax
    env.put("upperdir", root.resolve("upper").toString());
    env.put("workdir", root.resolve("work").toString());
    env.put("umask", "022");
    env.putAll(options);
    return FileSystems.newFileSystem(URI.create("overlay://" + name), env);
  }

  @Test
  void theOptionStringWorksToo() throws IOException {
    fs.close();
    fs = FileSystems.newFileSystem(URI.create("overlay://" + name), Map.of("options",
        "lowerdir=" + root.resolve("lower") + ",upperdir=" + root.resolve("upper")
            + ",workdir=" + root.resolve("work") + ",redirect_dir=on"));
    // With redirect_dir=on a directory with lower copies moves in one rename.
    Files.move(p("/dir"), p("/moved"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    assertEquals("alpha", Files.readString(p("/moved/a.txt")));
    assertTrue(Files.isDirectory(root.resolve("upper/moved")));
    assertEquals("alpha", Files.readString(root.resolve("lower/dir/a.txt")));
  }

  @Test
  void badOptionsAreRefusedLikeTheMount() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> FileSystems.newFileSystem(
            URI.create("overlay://bad-" + name), Map.of("lowerdir", root.resolve("lower")
                .toString(), "upperdir", root.resolve("upper").toString(), "workdir",
                root.resolve("upper/inside").toString())));
    assertTrue(e.getMessage().contains("workdir"), e.getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> FileSystems.newFileSystem(URI.create("overlay://bad2-" + name),
            Map.of("lowerdir", root.resolve("lower").toString(), "no_such_option", "1")));
  }
}
