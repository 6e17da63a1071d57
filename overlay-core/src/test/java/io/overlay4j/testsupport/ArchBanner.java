package io.overlay4j.testsupport;

import java.time.Duration;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, once per test JVM, the architecture the tests run on, so that every test run's output
 * says it ({@code ./overlay4j test --arch aarch64} must show {@code os.arch=aarch64}). Registered
 * through {@code META-INF/services}; overlay-fuse and overlay-spec-tests get it from
 * overlay-core's test jar. It also arms the {@link ExitWatchdog}, which ends the JVM if its exit
 * stalls (seen under qemu-user), before Surefire's own 30 s exit timeout.
 */
public final class ArchBanner implements TestExecutionListener {
  @Override
  public void testPlanExecutionStarted(TestPlan testPlan) {
    String line = "[overlay4j] tests in this JVM run on " + TestJvmArch.describe();
    String wanted = TestJvmArch.requested().orElse(null);
    if (wanted != null && !wanted.equals(TestJvmArch.arch())) {
      line += " -- BUT -Doverlay4j.arch=" + wanted + " was asked for (ArchitectureTest fails)";
    }
    System.out.println(line);
    ExitWatchdog.install(Duration.ofSeconds(20), 0);
  }
}
