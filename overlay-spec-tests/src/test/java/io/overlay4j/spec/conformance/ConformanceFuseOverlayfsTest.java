package io.overlay4j.spec.conformance;

import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/**
 * fuse-overlayfs is not ours to fix: the suite runs against it to show that it tells
 * implementations apart, and reports its divergences from the kernel by name without failing
 * the build. It fails only when the harness itself broke (an ERROR row) or nothing ran.
 */
class ConformanceFuseOverlayfsTest {
  @Test
  void fuseOverlayfsDivergencesAreReported() {
    ConformanceRunner.Report r = ConformanceSupport.run("fuse-overlayfs", 0.25);
    assertFalse(r.results().isEmpty(), "nothing ran");
    System.out.println("fuse-overlayfs: " + r.count(ConformanceRunner.Status.FAILED)
        + " divergences from the kernel reported (not a failure of this build)");
  }
}
