package io.overlay4j.spec.conformance;

import org.junit.jupiter.api.Test;

class ConformanceCoreHostTest {
  @Test
  void core() {
    ConformanceSupport.runAndRequirePass("core", 3);
  }
}
