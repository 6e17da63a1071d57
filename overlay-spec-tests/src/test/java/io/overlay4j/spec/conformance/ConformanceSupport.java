package io.overlay4j.spec.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/** What the CI entry points share: run the suite against one target, print the table. */
final class ConformanceSupport {
  private ConformanceSupport() {}

  static ConformanceRunner.Report run(String target, int triesDivisor) {
    ConformanceConfig base = ConformanceConfig.fromSystemProperties();
    ConformanceConfig c = new ConformanceConfig(target, base.seed(),
        Math.max(1, base.tries() / triesDivisor), base.steps());
    Targets.Factory f = Targets.of(target);
    Assumptions.assumeTrue(f.unavailableReason().isEmpty(),
        () -> "conformance against " + target + " skipped: " + f.unavailableReason().get());
    System.out.println("conformance " + target + ": seed " + c.seed() + ", " + c.tries()
        + " tries per property, up to " + c.steps() + " operations");
    ConformanceRunner.Report r = ConformanceRunner.run(c, System.out);
    System.out.println(ConformanceTable.render(r));
    return r;
  }

  static void runAndRequirePass(String target) {
    runAndRequirePass(target, 1);
  }

  static void runAndRequirePass(String target, int triesDivisor) {
    ConformanceRunner.Report r = run(target, triesDivisor);
    if (!r.passed()) {
      fail(target + " diverges from the kernel's semantics:\n" + r.results().stream()
          .filter(x -> x.status() != ConformanceRunner.Status.PASSED)
          .map(x -> x.status() + " " + x.area() + " " + x.name() + "\n" + x.message())
          .collect(Collectors.joining("\n")));
    }
  }
}
