package io.overlay4j.core;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlay4j.core.layer.HostLayer;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The write-side tests again, on host directories in the kernel's on-disk format (char 0/0
 * whiteouts and trusted.* xattrs need root and the native OS seam).
 */
class HostWriteTest extends WriteTest {
  private Path root;

  @Override
  @BeforeEach
  void setUp() throws IOException {
    assumeTrue(OsAccess.system().isNative(),
        "the native OS seam (jnr-ffi) did not load: whiteouts and trusted.* xattrs need it");
    assumeTrue("root".equals(System.getProperty("user.name")),
        "host layers in the kernel's format need root (mknod of whiteouts, trusted.* xattrs)");
    root = Files.createTempDirectory("overlay4j-hostwrite");
    super.setUp();
  }

  @Override
  WritableLayer newLayer(String name) throws IOException {
    return new HostLayer(Files.createDirectory(root.resolve(name)));
  }

  @Override
  @AfterEach
  void lowerLayersAreNeverWritten() throws IOException {
    if (root == null) {
      return;
    }
    super.lowerLayersAreNeverWritten();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
