package io.overlay4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Font;
import java.text.DecimalFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * {@code bench compare A.json [B.json ...] [--png FILE] [--impls a,b]}: result files side by
 * side. For end-to-end files: every workload's median per implementation and its ratio to the
 * kernel overlay, one column group per file, and (two or more files) the ratio of ratios, B
 * against A: how much worse or better overlay4j stands relative to the kernel on one machine
 * than on the other. For JMH files: each overlay benchmark's overhead over its raw baseline.
 * The chart (PNG, JFreeChart, headless) shows the ratios as grouped bars on a log axis.
 */
public final class Compare {
  private Compare() {}

  /** One input file. */
  record Run(Path file, JsonNode doc, String label) {
    String kind() {
      return doc.path("kind").asText();
    }
  }

  public static void main(String[] args) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<Path> files = new ArrayList<>();
    Path png = null;
    Set<String> implFilter = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--png" -> png = Path.of(args[++i]);
        case "--impls" -> implFilter = new LinkedHashSet<>(List.of(args[++i].split(",")));
        case "-h", "--help" -> {
          System.out.println("usage: bench compare A.json [B.json ...] [--png FILE] "
              + "[--impls impl,...]");
          return;
        }
        default -> files.add(Path.of(args[i]));
      }
    }
    if (files.isEmpty()) {
      System.err.println("bench compare: name at least one result file");
      System.exit(2);
    }
    ObjectMapper json = new ObjectMapper();
    List<Run> runs = new ArrayList<>();
    for (Path f : files) {
      JsonNode doc = json.readTree(f.toFile());
      runs.add(new Run(f, doc, label(doc, f)));
    }
    String kind = runs.get(0).kind();
    for (Run r : runs) {
      if (!r.kind().equals(kind)) {
        System.err.println("bench compare: " + r.file() + " is " + r.kind() + ", not " + kind);
        System.exit(2);
      }
    }
    if (png == null) {
      Path first = files.get(0).toAbsolutePath();
      String base = first.getFileName().toString().replaceFirst("\\.json$", "");
      png = first.resolveSibling(files.size() == 1 ? base + ".png" : base + "-compare.png");
    }
    machines(runs);
    List<String> notes = emulationNotes(runs);
    notes.forEach(n -> System.out.println("NOTE: " + n));
    DefaultCategoryDataset data;
    String title;
    if (kind.equals(E2eBench.KIND)) {
      data = e2e(runs, implFilter);
      title = "overlay4j end to end: median time / kernel overlay (lower is better)";
    } else if (kind.equals(JmhBench.KIND)) {
      data = jmh(runs);
      title = "overlay4j in-JVM (JMH): overlay / raw baseline (lower is better)";
    } else {
      System.err.println("bench compare: unknown result kind " + kind);
      System.exit(2);
      return;
    }
    if (!notes.isEmpty()) {
      System.out.println();
      notes.forEach(n -> System.out.println("NOTE: " + n));
    }
    chart(data, title, notes, png, kind.equals(JmhBench.KIND));
    System.out.println("\nwrote " + png.toAbsolutePath());
  }

  private static String label(JsonNode doc, Path f) {
    JsonNode m = doc.path("machine");
    return m.path("arch").asText("?") + (m.path("emulated").asBoolean() ? " (emulated)" : "")
        + " " + m.path("date").asText("").replaceFirst("T.*", "")
        + (m.path("quick").asBoolean() ? " quick" : "") + " [" + f.getFileName() + "]";
  }

  /** Whether a run's overlay4j ran on an emulated architecture ({@code --arch} under qemu). */
  static boolean emulated(Run r) {
    return r.doc().path("machine").path("emulated").asBoolean();
  }

  /** The column tag of a run in tables: {@code A}, or {@code B*} when emulated. */
  private static String tag(List<Run> runs, int i) {
    return (char) ('A' + i) + (emulated(runs.get(i)) ? "*" : "");
  }

  /**
   * One plain sentence per emulated run, for the table and the chart: emulated timings show
   * that the pipeline works, they are not ARM performance.
   */
  static List<String> emulationNotes(List<Run> runs) {
    List<String> notes = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      if (emulated(runs.get(i))) {
        JsonNode m = runs.get(i).doc().path("machine");
        notes.add((runs.size() > 1 ? (char) ('A' + i) + "* = " : "")
            + m.path("arch").asText("?") + " EMULATED by qemu-user on "
            + m.path("host_arch").asText("another architecture")
            + ": these timings show that the pipeline works, they are NOT "
            + m.path("arch").asText("?") + " performance");
      }
    }
    return notes;
  }

  private static void machines(List<Run> runs) {
    JsonNode sizes = runs.get(0).doc().path("config").path("sizes");
    for (Run r : runs) {
      if (!r.doc().path("config").path("sizes").equals(sizes)
          || r.doc().path("config").path("quick").asBoolean()
          != runs.get(0).doc().path("config").path("quick").asBoolean()) {
        System.out.println("note: " + r.file() + " ran other sizes or mode than "
            + runs.get(0).file() + ": compare the ratios, not the times");
      }
    }
    System.out.println("machines:");
    for (int i = 0; i < runs.size(); i++) {
      JsonNode m = runs.get(i).doc().path("machine");
      System.out.printf(Locale.ROOT, "  %s = %s%n      %s, %s cores, %d MiB, kernel %s, %s,"
              + " fs %s, libfuse2 %s, fuse-overlayfs %s, commit %.12s%n",
          (char) ('A' + i), runs.get(i).label(), m.path("cpu_model").asText("?"),
          m.path("cores").asText("?"), m.path("memory_kib").asLong() >> 10,
          m.path("kernel").asText("?"), m.path("jdk").asText("?"),
          m.path("layer_fs_type").asText("?"), m.path("libfuse2").asText("?"),
          m.path("fuse_overlayfs").asText("?"), m.path("overlay4j_commit").asText("?"));
      if (emulated(runs.get(i))) {
        System.out.printf(Locale.ROOT, "      emulated: %s on %s%s%n",
            m.path("emulator").asText("qemu-user"), m.path("host_arch").asText("?"),
            m.has("emulated_part") ? "; " + m.path("emulated_part").asText() : "");
      }
    }
  }

  // ---- end to end ----

  private static DefaultCategoryDataset e2e(List<Run> runs, Set<String> implFilter) {
    // workload -> impl -> per run: [median, ratio]
    Map<String, Map<String, double[][]>> t = new LinkedHashMap<>();
    Set<String> impls = new LinkedHashSet<>();
    String ref = runs.get(0).doc().path("config").path("reference").asText("kernel");
    for (int i = 0; i < runs.size(); i++) {
      for (JsonNode r : runs.get(i).doc().path("results")) {
        String w = r.path("workload").asText();
        String impl = r.path("impl").asText();
        impls.add(impl);
        double[][] cells = t.computeIfAbsent(w, k -> new LinkedHashMap<>())
            .computeIfAbsent(impl, k -> new double[runs.size()][]);
        JsonNode ratio = r.path("ratio_to_" + ref);
        cells[i] = new double[] {r.path("median_s").asDouble(Double.NaN),
            ratio.isNumber() ? ratio.asDouble() : Double.NaN};
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%n%-20s %-17s", "workload", "impl"));
    for (int i = 0; i < runs.size(); i++) {
      sb.append(String.format(Locale.ROOT, " %22s", tag(runs, i) + ": median s (x " + ref
          + ")"));
    }
    if (runs.size() > 1) {
      for (int i = 1; i < runs.size(); i++) {
        sb.append(String.format(Locale.ROOT, " %10s", tag(runs, i) + "/" + tag(runs, 0)
            + " ratio"));
      }
    }
    sb.append('\n');
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (var w : t.entrySet()) {
      for (var im : w.getValue().entrySet()) {
        double[][] c = im.getValue();
        sb.append(String.format(Locale.ROOT, "%-20s %-17s", w.getKey(), im.getKey()));
        for (double[] cell : c) {
          sb.append(cell == null || Double.isNaN(cell[0]) ? String.format(Locale.ROOT, " %22s",
              "-") : String.format(Locale.ROOT, " %13.4f (%5.2fx)", cell[0], cell[1]));
        }
        for (int i = 1; i < c.length; i++) {
          boolean ok = c[0] != null && c[i] != null && c[0][1] > 0;
          sb.append(ok ? String.format(Locale.ROOT, " %10.2f", c[i][1] / c[0][1])
              : String.format(Locale.ROOT, " %10s", "-"));
        }
        sb.append('\n');
        boolean show = implFilter != null ? implFilter.contains(im.getKey())
            : !im.getKey().equals(ref);
        if (show) {
          for (int i = 0; i < c.length; i++) {
            if (c[i] != null && c[i][1] > 0) {
              String series = runs.size() == 1 ? im.getKey()
                  : seriesPrefix(runs, i) + im.getKey();
              data.addValue(c[i][1], series, w.getKey());
            }
          }
        }
      }
    }
    System.out.print(sb);
    return data;
  }

  // ---- JMH ----

  private static DefaultCategoryDataset jmh(List<Run> runs) {
    // case -> per run: summary row
    Map<String, JsonNode[]> t = new LinkedHashMap<>();
    for (int i = 0; i < runs.size(); i++) {
      for (JsonNode row : runs.get(i).doc().path("summary")) {
        String key = row.path("benchmark").asText() + " " + row.path("params").asText()
            + (row.path("threads").asInt() > 1 ? " t=" + row.path("threads").asInt() : "");
        t.computeIfAbsent(key, k -> new JsonNode[runs.size()])[i] = row;
      }
    }
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%n%-72s", "benchmark (overlay / first baseline)"));
    for (int i = 0; i < runs.size(); i++) {
      sb.append(String.format(Locale.ROOT, " %26s", tag(runs, i) + ": value (x raw)"));
    }
    sb.append('\n');
    for (var e : t.entrySet()) {
      sb.append(String.format(Locale.ROOT, "%-72s", e.getKey()));
      for (int i = 0; i < runs.size(); i++) {
        JsonNode row = e.getValue()[i];
        if (row == null) {
          sb.append(String.format(Locale.ROOT, " %26s", "-"));
          continue;
        }
        double ratio = firstRatio(row);
        sb.append(String.format(Locale.ROOT, " %13.3f %-4s (%5.1fx)", row.path("value")
            .asDouble(), row.path("unit").asText().replace("/op", ""), ratio));
        if (ratio > 0) {
          data.addValue(ratio, runs.size() == 1 ? "overlay / raw" : seriesPrefix(runs, i)
              + "overlay / raw", e.getKey().replace("Bench.", ".").replace("backend=", "")
              .replace("lookup=", ""));
        }
      }
      sb.append('\n');
    }
    System.out.print(sb);
    return data;
  }

  /** {@code "A: "}, or {@code "B (aarch64 emulated): "}: the run in a chart's legend. */
  private static String seriesPrefix(List<Run> runs, int i) {
    JsonNode m = runs.get(i).doc().path("machine");
    return (char) ('A' + i) + " (" + m.path("arch").asText("?")
        + (emulated(runs.get(i)) ? " emulated" : "") + "): ";
  }

  private static double firstRatio(JsonNode row) {
    var it = row.path("baselines").fields();
    while (it.hasNext()) {
      JsonNode r = it.next().getValue().path("ratio");
      if (r.isNumber()) {
        return r.asDouble();
      }
    }
    return Double.NaN;
  }

  // ---- chart ----

  /** The same colour for an implementation in every chart; runs B, C.. in darker shades. */
  private static Color colour(String series, int row) {
    Color c;
    if (series.contains("plain")) {
      c = new Color(0x9e9e9e);
    } else if (series.contains("fuse-overlayfs")) {
      c = new Color(0x4c72b0);
    } else if (series.contains("overlay4j-single")) {
      c = new Color(0x55a868);
    } else if (series.contains("overlay4j-multi")) {
      c = new Color(0xdd8452);
    } else if (series.contains("kernel")) {
      c = new Color(0x8172b3);
    } else {
      Color[] cycle = {new Color(0x4c72b0), new Color(0xdd8452), new Color(0x55a868),
          new Color(0xc44e52), new Color(0x8172b3)};
      return cycle[row % cycle.length];
    }
    int run = series.length() > 2 && (series.charAt(1) == ':' || series.charAt(1) == ' ')
        && series.indexOf(": ") > 0 ? series.charAt(0) - 'A' : 0;
    for (int i = 0; i < run; i++) {
      c = c.darker();
    }
    return c;
  }

  private static void chart(DefaultCategoryDataset data, String title, List<String> notes,
      Path png, boolean horizontal) throws IOException {
    JFreeChart chart = ChartFactory.createBarChart(title, null, "ratio (log scale)", data,
        horizontal ? PlotOrientation.HORIZONTAL : PlotOrientation.VERTICAL, true, false, false);
    chart.setBackgroundPaint(Color.WHITE);
    for (String note : notes) { // under the title, in red: not ARM performance
      TextTitle sub = new TextTitle(note, new Font(Font.SANS_SERIF, Font.BOLD, 14));
      sub.setPaint(new Color(0xb00020));
      chart.addSubtitle(sub);
    }
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    // Powers of two on a log axis, labelled as plain numbers; bars grow from 1 (the reference):
    // up or right when slower, down or left when faster.
    LogAxis axis = new LogAxis("ratio (log scale; 1 = as fast as the reference)");
    axis.setBase(2);
    axis.setTickUnit(new NumberTickUnit(1));
    axis.setNumberFormatOverride(new DecimalFormat("0.###"));
    double lo = 1;
    double hi = 1;
    for (int row = 0; row < data.getRowCount(); row++) {
      for (int col = 0; col < data.getColumnCount(); col++) {
        Number v = data.getValue(row, col);
        if (v != null && v.doubleValue() > 0) {
          lo = Math.min(lo, v.doubleValue());
          hi = Math.max(hi, v.doubleValue());
        }
      }
    }
    axis.setRange(lo / 1.5, hi * 1.5);
    plot.setRangeAxis(axis);
    plot.addRangeMarker(new ValueMarker(1.0, Color.DARK_GRAY, new java.awt.BasicStroke(1.5f)));
    BarRenderer r = (BarRenderer) plot.getRenderer();
    r.setBarPainter(new StandardBarPainter());
    r.setShadowVisible(false);
    r.setBase(1.0);
    r.setItemMargin(0.02);
    for (int row = 0; row < data.getRowCount(); row++) {
      r.setSeriesPaint(row, colour(data.getRowKey(row).toString(), row));
    }
    CategoryAxis cats = plot.getDomainAxis();
    cats.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, horizontal ? 10 : 11));
    if (!horizontal) {
      cats.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
    }
    int n = data.getColumnCount();
    int series = Math.max(1, data.getRowCount());
    int width = horizontal ? 1400 : Math.max(1000, n * (series * 14 + 24));
    int height = horizontal ? Math.max(600, n * (series * 10 + 6) + 160) : 700;
    if (png.toAbsolutePath().getParent() != null) {
      Files.createDirectories(png.toAbsolutePath().getParent());
    }
    ChartUtils.saveChartAsPNG(png.toFile(), chart, width, height);
  }
}
