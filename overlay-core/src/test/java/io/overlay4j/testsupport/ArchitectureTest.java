package io.overlay4j.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The test JVM runs on the architecture the run asked for ({@code -Doverlay4j.arch}). */
class ArchitectureTest {
  @Test
  void testJvmRunsOnTheRequestedArchitecture() {
    System.out.println("[overlay4j] overlay-core tests: " + TestJvmArch.describe());
    TestJvmArch.requested().ifPresent(wanted -> assertEquals(wanted, TestJvmArch.arch(),
        "the run asked for " + wanted + " but the test JVM is " + TestJvmArch.describe()));
  }
}
