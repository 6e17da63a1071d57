package io.overlay4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the JMH benchmarks of overlay-core ({@code io.overlay4j.bench.jmh}) in groups, merges
 * JMH's JSON results into one file with the machine fields, and prints overhead ratios against
 * the baselines measured in the same run.
 *
 * <p>Settings for a small, shared, noisy machine (2 cores here, other jobs running):
 * <ul>
 *   <li>Fixed heap ({@code -Xms1g -Xmx1g -XX:+AlwaysPreTouch}, in the benchmarks' {@code @Fork}):
 *       no heap resizing during measurement, and the same heap on every machine, so an 8-core
 *       box with 64 GiB does not get a different GC shape than a 2-core one.</li>
 *   <li>Forks: 1 in quick mode, 2 in full. A fork is a fresh JVM (its own JIT decisions and
 *       memory layout); two forks show when those differ. More would not fit the time.</li>
 *   <li>Warm-up: the hot paths (lookup, cache) compile within a few hundred milliseconds; quick
 *       mode warms 1 x 0.5 s and measures 2 x 0.5 s, full warms 3 x 1 s and measures 5 x 1 s.
 *       Copy-up and create/unlink are single shots on a fresh upper each (quick 2 + 5 shots,
 *       full 3 + 10).</li>
 *   <li>One benchmark thread except the explicit 2-thread lookup group: on 2 cores a second
 *       thread already competes with the JIT, GC and the machine's other load, which is what
 *       that group is meant to show, not something to add everywhere.</li>
 *   <li>Every overlay figure has its raw baseline measured in the same run, minutes apart at
 *       most, so the ratio survives a noisy neighbour better than either number.</li>
 * </ul>
 *
 * <pre>JmhBench [--quick] [--out FILE] [--only lookup,lookup2t,readdir,copyup,createunlink]
 *          [--dir DIR]</pre>
 */
public final class JmhBench {
  static final String KIND = "overlay4j-jmh";

  /** One JMH run: a name, a benchmark regex and its settings. */
  record Group(String name, String include, UnaryOperator<ChainedOptionsBuilder> settings) {}

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    Path out = null;
    List<String> only = null;
    // Host layers go to /var/tmp, not /tmp: /tmp is a tmpfs on many systems (Debian 13,
    // Fedora, Arch), which would make an ARM box and an x86 box measure different things.
    Path dir = Path.of("/var/tmp/overlay4j-jmh");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--out" -> out = Path.of(args[++i]);
        case "--only" -> only = List.of(args[++i].split(","));
        case "--dir" -> dir = Path.of(args[++i]);
        case "-h", "--help" -> {
          System.out.println("usage: bench jmh [--quick] [--out FILE] "
              + "[--only lookup,lookup2t,readdir,copyup,createunlink] [--dir DIR]\n"
              + "  DIR: where host layers are made (default /var/tmp/overlay4j-jmh)");
          return;
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (out == null) {
      out = Path.of("bench-results", "jmh-" + MachineInfo.archTag() + "-"
          + (quick ? "quick" : "full") + "-" + LocalDate.now() + ".json");
    }
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    final boolean q = quick;
    int forks = quick ? 1 : 2;
    // Quick mode skips pre-touching the heap: it costs a few hundred ms per fork, and quick
    // runs fork ~100 times.
    Files.createDirectories(dir);
    Sh.bash("find " + Sh.q(dir) + " -mindepth 1 -maxdepth 1 -name 'overlay4j-jmh-*' "
        + "-exec rm -rf {} +"); // left by a fork that was killed
    String tmp = "-Djava.io.tmpdir=" + dir.toAbsolutePath();
    String[] jvm = quick ? new String[] {"-Xms1g", "-Xmx1g", tmp}
        : new String[] {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", tmp};
    UnaryOperator<ChainedOptionsBuilder> timed = o -> o.forks(forks).jvmArgsAppend(jvm)
        .warmupIterations(q ? 1 : 3).warmupTime(q ? TimeValue.milliseconds(500)
            : TimeValue.seconds(1))
        .measurementIterations(q ? 2 : 5).measurementTime(q ? TimeValue.milliseconds(500)
            : TimeValue.seconds(1));
    UnaryOperator<ChainedOptionsBuilder> shots = o -> o.forks(forks).jvmArgsAppend(jvm)
        .warmupIterations(q ? 2 : 3).measurementIterations(q ? 5 : 10);
    List<Group> groups = new ArrayList<>();
    groups.add(new Group("lookup", "io.overlay4j.bench.jmh.LookupBench\\.",
        o -> timed.apply(o).threads(1)));
    groups.add(new Group("lookup2t",
        "io.overlay4j.bench.jmh.LookupBench\\.(getattr|lookup|rawOsLstat)$",
        o -> timed.apply(o).threads(2).param("lookup", "upper", "lowest4", "lowest16")
            .param("backend", "host")));
    groups.add(new Group("readdir", "io.overlay4j.bench.jmh.ReaddirBench\\.",
        o -> timed.apply(o).threads(1)));
    groups.add(new Group("copyup", "io.overlay4j.bench.jmh.CopyUpBench\\.",
        o -> {
          ChainedOptionsBuilder b = shots.apply(o).threads(1);
          return q ? b.param("size", "4k", "1m", "64m") : b;
        }));
    groups.add(new Group("createunlink", "io.overlay4j.bench.jmh.CreateUnlinkBench\\.",
        o -> shots.apply(o).threads(1)));

    ObjectMapper json = new ObjectMapper();
    ArrayNode all = json.createArrayNode();
    Path log = Path.of(out + ".log");
    Files.deleteIfExists(log);
    long t0 = System.nanoTime();
    for (Group g : groups) {
      if (only != null && !only.contains(g.name())) {
        continue;
      }
      Path part = Files.createTempFile("overlay4j-jmh-" + g.name(), ".json");
      Path partLog = Files.createTempFile("overlay4j-jmh-" + g.name(), ".log");
      System.err.printf(Locale.ROOT, "bench: jmh %s ... (JMH output: %s)%n", g.name(), log);
      long g0 = System.nanoTime();
      new Runner(g.settings().apply(new OptionsBuilder().include(g.include())
          .shouldFailOnError(true).resultFormat(ResultFormatType.JSON).result(part.toString())
          .output(partLog.toString())).build()).run();
      Files.writeString(log, Files.readString(partLog), java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      for (JsonNode r : json.readTree(part.toFile())) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) r).put("group", g.name());
        all.add(r);
      }
      Files.delete(part);
      Files.delete(partLog);
      System.err.printf(Locale.ROOT, "bench: jmh %s done in %.0f s%n", g.name(),
          (System.nanoTime() - g0) / 1e9);
    }

    List<Map<String, Object>> summary = JmhSummary.ratios(all);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("kind", KIND);
    doc.put("schema", 1);
    doc.put("machine", MachineInfo.collect(dir.toAbsolutePath(), quick));
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("quick", quick);
    config.put("forks", forks);
    config.put("jvm_args", String.join(" ", jvm));
    config.put("timed", quick ? "warmup 1 x 0.5 s, measurement 2 x 0.5 s"
        : "warmup 3 x 1 s, measurement 5 x 1 s");
    config.put("single_shot", quick ? "warmup 2, measurement 5" : "warmup 3, measurement 10");
    config.put("layer_dir", dir.toAbsolutePath().toString());
    config.put("elapsed_s", Math.round((System.nanoTime() - t0) / 1e9));
    doc.put("config", config);
    doc.put("summary", summary);
    doc.put("jmh", all);
    json.enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), doc);
    System.out.print(JmhSummary.table(summary));
    System.out.println("\nwrote " + out.toAbsolutePath() + " (JMH output in " + log + ")");
  }
}
