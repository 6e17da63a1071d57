package io.overlay4j.spec.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;

/** What the CI entry points share: run the suite against one target, print the table. */
final class ConformanceSupport {
  private ConformanceSupport() {}

  /**
   * Runs the suite against {@code target} with {@code conformance.tries} (the CI budget, see the
   * pom) scaled by {@code triesScale}: cheap targets run more tries than ones that start a JVM
   * per mount.
   */
  static ConformanceRunner.Report run(String target, double triesScale) {
    ConformanceConfig base = ConformanceConfig.fromSystemProperties();
    ConformanceConfig c = new ConformanceConfig(target, base.seed(),
        (int) Math.max(1, Math.round(base.tries() * triesScale)), base.steps());
    Targets.Factory f = Targets.of(target);
    Assumptions.assumeTrue(f.unavailableReason().isEmpty(),
        () -> "conformance against " + target + " skipped: " + f.unavailableReason().get());
    System.out.println("conformance " + target + ": seed " + c.seed() + ", " + c.tries()
        + " tries per property, up to " + c.steps() + " operations");
    ConformanceRunner.Report r = ConformanceRunner.run(c, System.out);
    System.out.println(ConformanceTable.render(r));
    return r;
  }

  /**
   * Runs the suite and fails on every divergence from the kernel except those listed in
   * {@code conformance-known-divergences.txt} (tracked bugs, each with its replay in the
   * output); a listed one that passes now fails too, so the list cannot go stale.
   */
  static void runAndRequirePass(String target, double triesScale) {
    ConformanceRunner.Report r = run(target, triesScale);
    Set<String> known = knownDivergences(target);
    List<String> unexpected = new ArrayList<>();
    Set<String> stillFailing = new TreeSet<>();
    for (ConformanceRunner.Result x : r.results()) {
      if (x.status() == ConformanceRunner.Status.PASSED) {
        continue;
      }
      if (x.status() == ConformanceRunner.Status.FAILED && known.contains(x.name())) {
        stillFailing.add(x.name());
        continue;
      }
      unexpected.add(x.status() + " [" + x.area() + "] " + x.name() + "\n" + x.message());
    }
    Set<String> fixed = new TreeSet<>(known);
    fixed.removeAll(stillFailing);
    if (!stillFailing.isEmpty()) {
      System.out.println(target + ": known divergences (conformance-known-divergences.txt), "
          + "still failing: " + stillFailing);
    }
    if (!fixed.isEmpty()) {
      unexpected.add("listed as known divergences of " + target + " but passing now: " + fixed
          + " (remove them from conformance-known-divergences.txt)");
    }
    if (!unexpected.isEmpty()) {
      fail(target + " diverges from the kernel's semantics:\n"
          + String.join("\n", unexpected));
    }
  }

  /** The test names listed for {@code target}: lines {@code TARGET NAME  # why}. */
  static Set<String> knownDivergences(String target) {
    Set<String> out = new TreeSet<>();
    try (InputStream in = ConformanceSupport.class.getResourceAsStream(
        "/conformance-known-divergences.txt")) {
      if (in == null) {
        return out;
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String l = line.replaceAll("#.*", "").trim();
        String[] parts = l.split("\\s+");
        if (parts.length >= 2 && parts[0].equals(target)) {
          out.add(parts[1]);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
