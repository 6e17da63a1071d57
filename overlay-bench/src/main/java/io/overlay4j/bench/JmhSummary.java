package io.overlay4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pairs each overlay benchmark in a JMH result array with its raw baselines from the same run
 * and computes the overhead ratios (overlay / raw). Single-shot results use the median of the
 * shots (one slow shot on a busy machine would move the mean); timed results use JMH's score.
 */
final class JmhSummary {
  private JmhSummary() {}

  /** Which raw benchmarks are the baselines of an overlay benchmark, per class. */
  private static final Map<String, List<String>> BASELINES = Map.of(
      "LookupBench.getattr", List.of("rawOsLstat", "rawNioLstat", "rawMemoryStat"),
      "LookupBench.lookup", List.of("rawOsLstat", "rawMemoryStat"),
      "LookupBench.lookupChildUncached", List.of("rawOsLstatEachLayer"),
      "ReaddirBench.readdir", List.of("rawListStat", "rawList"),
      "CopyUpBench.copyUpOpenWrite", List.of("rawCopyFileData", "rawFilesCopy"),
      "CopyUpBench.copyUpChmodMetacopy", List.of("rawCopyFileData", "rawFilesCopy"),
      "CreateUnlinkBench.create", List.of("rawCreate"),
      "CreateUnlinkBench.unlink", List.of("rawUnlink"));

  /** The short name of a JMH benchmark: {@code Class.method}. */
  static String shortName(JsonNode r) {
    String b = r.path("benchmark").asText();
    String[] parts = b.split("\\.");
    return parts.length < 2 ? b : parts[parts.length - 2] + "." + parts[parts.length - 1];
  }

  static double value(JsonNode r) {
    JsonNode pm = r.path("primaryMetric");
    if ("ss".equals(r.path("mode").asText()) && pm.path("scorePercentiles").has("50.0")) {
      return pm.path("scorePercentiles").path("50.0").asDouble();
    }
    return pm.path("score").asDouble();
  }

  /** Copy-up shots copy several files (CopyUpBench.filesPerShot): values are per file. */
  static double perShot(JsonNode r) {
    if (!shortName(r).startsWith("CopyUpBench.")) {
      return 1;
    }
    return io.overlay4j.bench.jmh.CopyUpBench.filesPerShot(
        r.path("params").path("size").asText("1"));
  }

  static String params(JsonNode r) {
    Map<String, String> p = new TreeMap<>();
    r.path("params").fields().forEachRemaining(e -> p.put(e.getKey(), e.getValue().asText()));
    StringBuilder sb = new StringBuilder();
    p.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v));
    return sb.toString();
  }

  static List<Map<String, Object>> ratios(JsonNode results) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (JsonNode r : results) {
      String name = shortName(r);
      List<String> baselines = BASELINES.get(name);
      if (baselines == null) {
        continue;
      }
      String cls = name.substring(0, name.indexOf('.'));
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("benchmark", name);
      row.put("params", params(r));
      row.put("threads", r.path("threads").asInt());
      double per = perShot(r);
      double v = value(r) / per;
      row.put("value", v);
      row.put("unit", r.path("primaryMetric").path("scoreUnit").asText().replace("/op",
          per == 1 ? "/op" : "/file"));
      Map<String, Object> base = new LinkedHashMap<>();
      for (String b : baselines) {
        JsonNode match = findBaseline(results, cls + "." + b, r);
        if (match != null) {
          Map<String, Object> m = new LinkedHashMap<>();
          double bv = value(match) / perShot(match);
          m.put("value", bv);
          m.put("ratio", bv == 0 ? null : v / bv);
          base.put(b, m);
        }
      }
      row.put("baselines", base);
      rows.add(row);
    }
    return rows;
  }

  /**
   * The baseline result whose parameters are all among the overlay result's (a raw benchmark
   * has fewer parameters: no cache, no lowers) and whose thread count is the same.
   */
  private static JsonNode findBaseline(JsonNode results, String name, JsonNode overlay) {
    for (JsonNode c : results) {
      if (!shortName(c).equals(name) || c.path("threads").asInt() != overlay.path("threads")
          .asInt()) {
        continue;
      }
      boolean all = true;
      var it = c.path("params").fields();
      while (it.hasNext()) {
        var e = it.next();
        if (!e.getValue().asText().equals(overlay.path("params").path(e.getKey()).asText())) {
          all = false;
        }
      }
      // A memory overlay is compared with the memory layer, a host one with the host.
      String backend = overlay.path("params").path("backend").asText("host");
      if (name.endsWith("rawMemoryStat") && !backend.equals("memory")
          || (name.endsWith("rawOsLstat") || name.endsWith("rawNioLstat"))
          && !backend.equals("host")) {
        all = false;
      }
      if (all) {
        return c;
      }
    }
    return null;
  }

  static String table(List<Map<String, Object>> rows) {
    StringBuilder sb = new StringBuilder();
    String last = null;
    for (Map<String, Object> row : rows) {
      String b = (String) row.get("benchmark");
      if (!b.equals(last)) {
        sb.append('\n').append(b).append("  (overlay / raw baseline, same run)\n");
        last = b;
      }
      sb.append(String.format(Locale.ROOT, "  %-52s t=%d %12.3f %-6s", row.get("params"),
          (Integer) row.get("threads"), (Double) row.get("value"), shortUnit(row)));
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> base = (Map<String, Map<String, Object>>) row.get(
          "baselines");
      for (var e : base.entrySet()) {
        Object ratio = e.getValue().get("ratio");
        sb.append(String.format(Locale.ROOT, "  %s %.3f (%sx)", e.getKey(),
            (Double) e.getValue().get("value"), ratio == null ? "-"
                : String.format(Locale.ROOT, "%.2f", (Double) ratio)));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String shortUnit(Map<String, Object> row) {
    return ((String) row.get("unit")).replace("/op", "");
  }
}
