package io.overlay4j.spec.conformance;

import org.junit.jupiter.api.Test;

class ConformanceOverlay4jFuseTest {
  @Test
  void overlay4j() {
    ConformanceSupport.runAndRequirePass("overlay4j", 0.25);
  }
}
