package io.overlay4j.spec.conformance;

import io.overlay4j.spec.conformance.ConformanceRunner.Report;
import io.overlay4j.spec.conformance.ConformanceRunner.Result;
import io.overlay4j.spec.conformance.ConformanceRunner.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The human-readable report: a table by area, then each failure with its replay. */
public final class ConformanceTable {
  private ConformanceTable() {}

  public static String render(Report r) {
    StringBuilder sb = new StringBuilder();
    ConformanceConfig c = r.config();
    sb.append(String.format("conformance of %s (seed %s, %d tries per property, up to %d "
        + "operations each) in %.1f s%n", r.target(), c.seed(), c.tries(), c.steps(),
        r.millis() / 1000.0));
    Map<String, int[]> byArea = new LinkedHashMap<>();
    for (String a : ConformanceRunner.AREAS) {
      byArea.put(a, new int[4]);
    }
    for (Result x : r.results()) {
      byArea.computeIfAbsent(x.area(), k -> new int[4])[x.status().ordinal()]++;
    }
    sb.append(String.format("%-11s %6s %6s %6s %6s%n", "area", "passed", "failed", "skipped",
        "error"));
    int[] total = new int[4];
    for (Map.Entry<String, int[]> e : byArea.entrySet()) {
      int[] n = e.getValue();
      sb.append(String.format("%-11s %6d %6d %6d %6d%n", e.getKey(), n[0], n[1], n[2], n[3]));
      for (int i = 0; i < 4; i++) {
        total[i] += n[i];
      }
    }
    sb.append(String.format("%-11s %6d %6d %6d %6d%n", "total", total[0], total[1], total[2],
        total[3]));
    List<Result> bad = new ArrayList<>();
    for (Result x : r.results()) {
      if (x.status() != Status.PASSED) {
        bad.add(x);
      }
    }
    for (Result x : bad) {
      sb.append('\n').append(x.status()).append(" [").append(x.area()).append("] ")
          .append(x.kind()).append(' ').append(x.name()).append('\n');
      if (x.message() != null) {
        for (String line : x.message().strip().split("\n")) {
          sb.append("    ").append(line).append('\n');
        }
      }
    }
    sb.append(r.passed() ? "\nPASSED: " + r.target() + " behaves as the kernel in every check\n"
        : "\nNOT PASSED: " + r.target() + " diverges from the kernel (above)\n");
    return sb.toString();
  }
}
