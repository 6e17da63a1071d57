package io.overlay4j.spec.conformance;

import org.junit.jupiter.api.Test;

class ConformanceCoreMemoryTest {
  @Test
  void coreMemory() {
    ConformanceSupport.runAndRequirePass("core-memory", 10);
  }
}
