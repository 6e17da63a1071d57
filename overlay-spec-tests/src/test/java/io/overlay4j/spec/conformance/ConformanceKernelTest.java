package io.overlay4j.spec.conformance;

import org.junit.jupiter.api.Test;

class ConformanceKernelTest {
  @Test
  void kernel() {
    ConformanceSupport.runAndRequirePass("kernel", 3);
  }
}
