package io.overlay4j.spec.conformance;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the conformance suite ({@link ConformanceProperties} and {@link NamedScenarios}) against
 * one target by launching the JUnit Platform's jqwik engine in this JVM, and collects one
 * {@link Result} per property or scenario.
 */
public final class ConformanceRunner {
  private ConformanceRunner() {}

  /** The areas of the table, in order. */
  public static final List<String> AREAS = List.of("lookup", "readdir", "copy-up", "whiteouts",
      "opaque", "rename", "links", "xattrs", "attributes", "errors");

  /** How one property or scenario ended. */
  public enum Status { PASSED, FAILED, SKIPPED, ERROR }

  /** One property or named scenario. */
  public record Result(String name, String area, String kind, Status status, String message,
      long millis) {}

  /** A whole run. */
  public record Report(ConformanceConfig config, String target, List<Result> results,
      long millis) {
    public boolean passed() {
      return !results.isEmpty() && results.stream().allMatch(r -> r.status() == Status.PASSED);
    }

    public long count(Status s) {
      return results.stream().filter(r -> r.status() == s).count();
    }
  }

  /** jqwik's own logger: its shrinking-bound warnings would interleave with the table. */
  private static final java.util.logging.Logger JQWIK_LOG =
      java.util.logging.Logger.getLogger("net.jqwik");

  public static Report run(ConformanceConfig config, PrintStream progress) {
    JQWIK_LOG.setLevel(java.util.logging.Level.SEVERE);
    ConformanceConfig.set(config);
    long start = System.nanoTime();
    Path db;
    try {
      db = Files.createTempFile("overlay4j-conformance-", ".jqwik-database");
      Files.delete(db); // jqwik makes it; an empty file is not a database
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    try {
      LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
          .selectors(DiscoverySelectors.selectClass(ConformanceProperties.class),
              DiscoverySelectors.selectClass(NamedScenarios.class))
          .filters(EngineFilter.includeEngines("jqwik"))
          .configurationParameter("jqwik.database", db.toString())
          .configurationParameter("jqwik.reporting.usejunitplatform", "true")
          .configurationParameter("jqwik.failures.runfirst", "false")
          .configurationParameter("jqwik.shrinking.bounded.seconds",
              Integer.getInteger("conformance.shrink.seconds", 30).toString())
          .build();
      Launcher launcher = LauncherFactory.create();
      Collector collector = new Collector(progress);
      launcher.execute(request, collector);
      ConformanceConfig.endRun();
      Session.closeLeftovers(120_000, true);
      return new Report(config, ConformanceConfig.factory().name(),
          Collections.unmodifiableList(collector.results),
          (System.nanoTime() - start) / 1_000_000);
    } finally {
      try {
        Files.deleteIfExists(db);
      } catch (IOException ignored) {
        // a temp file
      }
      ConformanceConfig.set(null);
    }
  }

  private static final class Collector implements TestExecutionListener {
    private final PrintStream progress;
    final List<Result> results = new ArrayList<>();
    private final java.util.Map<String, Long> started = new java.util.HashMap<>();

    Collector(PrintStream progress) {
      this.progress = progress;
    }

    @Override
    public void executionStarted(TestIdentifier id) {
      started.put(id.getUniqueId(), System.nanoTime());
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
      if (id.isTest()) {
        add(id, Status.SKIPPED, reason, 0);
      } else {
        // A skipped container: report each of its tests as skipped is not possible here, so
        // the container stands for them.
        add(id, Status.SKIPPED, reason, 0);
      }
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult r) {
      if (!id.isTest()) {
        if (r.getStatus() == TestExecutionResult.Status.FAILED) {
          add(id, Status.ERROR, message(r.getThrowable()), 0);
        }
        return;
      }
      long ms = (System.nanoTime() - started.getOrDefault(id.getUniqueId(), System.nanoTime()))
          / 1_000_000;
      switch (r.getStatus()) {
        case SUCCESSFUL -> add(id, Status.PASSED, null, ms);
        case ABORTED -> add(id, Status.SKIPPED, message(r.getThrowable()), ms);
        case FAILED -> {
          Throwable t = r.getThrowable().orElse(null);
          add(id, t instanceof AssertionError ? Status.FAILED : Status.ERROR, message(
              r.getThrowable()), ms);
        }
      }
    }

    private static String message(Optional<Throwable> t) {
      if (t.isEmpty()) {
        return null;
      }
      Throwable x = t.get();
      String m = x.getMessage();
      if (x instanceof AssertionError || x instanceof Session.HarnessError) {
        return m;
      }
      java.io.StringWriter sw = new java.io.StringWriter();
      x.printStackTrace(new java.io.PrintWriter(sw));
      String s = sw.toString();
      return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
    }

    private void add(TestIdentifier id, Status status, String message, long ms) {
      String area = id.getTags().stream().map(t -> t.getName()).filter(AREAS::contains)
          .findFirst().orElse("-");
      String kind = id.getSource().map(Object::toString).orElse("").contains("NamedScenarios")
          ? "scenario" : "property";
      Result res = new Result(id.getDisplayName(), area, kind, status, message, ms);
      results.add(res);
      if (progress != null) {
        progress.printf("  %-7s %-10s %-9s %s (%.1f s)%n", status, area, kind,
            id.getDisplayName(), ms / 1000.0);
      }
    }
  }
}
