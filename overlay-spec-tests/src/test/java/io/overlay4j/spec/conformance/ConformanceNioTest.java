package io.overlay4j.spec.conformance;

import org.junit.jupiter.api.Test;

/**
 * overlay-core through its java.nio.file provider ({@link NioTarget}): host directories given
 * as mount options (root), and in-memory layers given as objects.
 */
class ConformanceNioTest {
  @Test
  void nioHost() {
    ConformanceSupport.runAndRequirePass("nio", 3);
  }

  @Test
  void nioMemory() {
    ConformanceSupport.runAndRequirePass("nio-memory", 10);
  }
}
