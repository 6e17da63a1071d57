package io.overlay4j.spec.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.overlay4j.spec.conformance.ConformanceRunner.Report;
import io.overlay4j.spec.conformance.ConformanceRunner.Result;
import io.overlay4j.spec.conformance.ConformanceRunner.Status;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code overlay4j conformance --impl TARGET [--impl TARGET...] [--seed N] [--tries N]
 * [--steps N] [--json FILE]}: runs the conformance suite against each target, prints a table
 * by area and every failure with its replay, writes a JSON report, and exits 0 only when every
 * check of every target passed (1: divergences, 2: bad usage, 3: a target cannot run here).
 */
public final class ConformanceMain {
  private ConformanceMain() {}

  static final String USAGE = """
      usage: overlay4j conformance --impl TARGET [--impl TARGET ...] [--seed N] [--tries N]
                                   [--steps N] [--shrink-seconds N] [--differential T]
                                   [--json FILE] [--replay FILE]
        TARGET  kernel          the kernel's overlayfs (mount -t overlay; root)
                fuse-overlayfs  fuse-overlayfs (root, /dev/fuse)
                overlay4j       overlay4j's FUSE mount (root, /dev/fuse, libfuse2)
                core            overlay-core over host directories (root)
                core-memory     overlay-core over in-memory layers
                nio             overlay-core through its java.nio.file provider, host
                                directories (root)
                nio-memory      the same over in-memory layers
                'CMD'           a mount command with {lowerdir} {upperdir} {workdir} {merged},
                                e.g. 'fuse-overlayfs -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir} {merged}'
        --seed N          jqwik's seed (default %s): the same seed replays the same runs
        --tries N         random runs per property (default %d)
        --steps N         most operations per run (default %d)
        --shrink-seconds  how long jqwik may shrink a failure (default 30)
        --differential T  also apply every sequence to target T (e.g. kernel) over copies of
                          the same layers and compare merged views and upper directories
        --json FILE       also write the report as JSON
        --replay FILE     instead of the suite, run one replay (as a failure prints it:
                          the "lower N:" layers and the numbered operations) with every check
      Exit status: 0 every check passed, 1 a target diverges from the kernel, 2 bad usage,
      3 a target cannot run here (the reason is printed).
      """.formatted(ConformanceConfig.DEFAULT_SEED, ConformanceConfig.DEFAULT_TRIES,
      ConformanceConfig.DEFAULT_STEPS);

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    List<String> impls = new ArrayList<>();
    String seed = ConformanceConfig.DEFAULT_SEED;
    int tries = ConformanceConfig.DEFAULT_TRIES;
    int steps = ConformanceConfig.DEFAULT_STEPS;
    Path json = null;
    String reference = null;
    Path replay = null;
    try {
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "-h", "--help" -> {
            out.print(USAGE);
            return 0;
          }
          case "--impl", "--target" -> impls.add(value(args, ++i, a));
          case "--seed" -> seed = Long.toString(Long.parseLong(value(args, ++i, a)));
          case "--tries" -> tries = positive(value(args, ++i, a), a);
          case "--steps" -> steps = positive(value(args, ++i, a), a);
          case "--shrink-seconds" -> System.setProperty("conformance.shrink.seconds",
              Integer.toString(positive(value(args, ++i, a), a)));
          case "--json" -> json = Path.of(value(args, ++i, a));
          case "--differential" -> reference = value(args, ++i, a);
          case "--replay" -> replay = Path.of(value(args, ++i, a));
          default -> throw new IllegalArgumentException("unknown argument " + a);
        }
      }
      if (impls.isEmpty()) {
        throw new IllegalArgumentException("--impl is required");
      }
      for (String impl : impls) {
        Targets.of(impl);
      }
      if (reference != null) {
        Targets.of(reference);
      }
    } catch (IllegalArgumentException e) {
      err.println("overlay4j conformance: " + e.getMessage());
      err.print(USAGE);
      return 2;
    }
    if (replay != null) {
      return replay(replay, impls, out, err);
    }
    List<Report> reports = new ArrayList<>();
    boolean unavailable = false;
    if (reference != null) {
      Optional<String> why = Targets.of(reference).unavailableReason();
      if (why.isPresent()) {
        err.println("overlay4j conformance: cannot run the differential reference " + reference
            + ": " + why.get());
        return 3;
      }
    }
    for (String impl : impls) {
      Targets.Factory f = Targets.of(impl);
      Optional<String> why = f.unavailableReason();
      if (why.isPresent()) {
        err.println("overlay4j conformance: cannot run against " + f.name() + ": " + why.get());
        unavailable = true;
        continue;
      }
      out.println("conformance of " + f.name() + ": seed " + seed + ", " + tries
          + " tries per property, up to " + steps + " operations each"
          + (reference == null ? "" : ", differential against " + reference));
      Report r = ConformanceRunner.run(new ConformanceConfig(impl, seed, tries, steps,
          reference), out);
      reports.add(r);
      out.println();
      out.print(ConformanceTable.render(r));
      out.println();
    }
    if (reports.size() > 1) {
      out.print(summary(reports));
    }
    if (json != null) {
      try {
        writeJson(json, reports);
        out.println("JSON report: " + json.toAbsolutePath());
      } catch (IOException e) {
        err.println("overlay4j conformance: cannot write " + json + ": " + e.getMessage());
        return 2;
      }
    }
    if (unavailable) {
      return 3;
    }
    return reports.stream().allMatch(Report::passed) ? 0 : 1;
  }

  private static int replay(Path file, List<String> impls, PrintStream out, PrintStream err) {
    Replay.Script script;
    try {
      script = Replay.parse(Files.readString(file));
    } catch (IOException | IllegalArgumentException e) {
      err.println("overlay4j conformance: cannot read the replay " + file + ": " + e.getMessage());
      return 2;
    }
    boolean ok = true;
    for (String impl : impls) {
      Targets.Factory f = Targets.of(impl);
      Optional<String> why = f.unavailableReason();
      if (why.isPresent()) {
        err.println("overlay4j conformance: cannot run against " + f.name() + ": " + why.get());
        return 3;
      }
      ConformanceConfig.set(new ConformanceConfig(impl, "0", 1, script.ops().size()));
      ok &= Replay.run(script, f, out);
      ConformanceConfig.set(null);
    }
    return ok ? 0 : 1;
  }

  /** One table for several targets: passed/total by area. */
  static String summary(List<Report> reports) {
    StringBuilder sb = new StringBuilder("summary (passed/run by area)\n");
    sb.append(String.format("%-11s", "area"));
    for (Report r : reports) {
      sb.append(String.format(" %15s", abbreviate(r.target(), 15)));
    }
    sb.append('\n');
    List<String> areas = new ArrayList<>(ConformanceRunner.AREAS);
    areas.add("total");
    for (String area : areas) {
      sb.append(String.format("%-11s", area));
      for (Report r : reports) {
        long run = 0;
        long ok = 0;
        for (Result x : r.results()) {
          if (area.equals("total") || x.area().equals(area)) {
            run++;
            ok += x.status() == Status.PASSED ? 1 : 0;
          }
        }
        sb.append(String.format(" %15s", ok + "/" + run));
      }
      sb.append('\n');
    }
    sb.append(String.format("%-11s", "time"));
    for (Report r : reports) {
      sb.append(String.format(" %15s", String.format("%.0f s", r.millis() / 1000.0)));
    }
    return sb.append('\n').toString();
  }

  private static String abbreviate(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "~";
  }

  static void writeJson(Path file, List<Report> reports) throws IOException {
    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = m.createObjectNode();
    ObjectNode machine = root.putObject("machine");
    machine.put("kernel", System.getProperty("os.version"));
    machine.put("arch", System.getProperty("os.arch"));
    machine.put("java", System.getProperty("java.version"));
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    root.put("passed", !reports.isEmpty() && reports.stream().allMatch(Report::passed));
    ArrayNode runs = root.putArray("runs");
    for (Report r : reports) {
      ObjectNode run = runs.addObject();
      run.put("target", r.target());
      run.put("impl", r.config().target());
      run.put("seed", r.config().seed());
      run.put("tries", r.config().tries());
      run.put("steps", r.config().steps());
      if (r.config().reference() != null) {
        run.put("differential", r.config().reference());
      }
      run.put("passed", r.passed());
      run.put("seconds", r.millis() / 1000.0);
      ObjectNode areas = run.putObject("areas");
      Map<String, int[]> counts = new LinkedHashMap<>();
      for (String a : ConformanceRunner.AREAS) {
        counts.put(a, new int[4]);
      }
      for (Result x : r.results()) {
        counts.computeIfAbsent(x.area(), k -> new int[4])[x.status().ordinal()]++;
      }
      counts.forEach((a, n) -> {
        ObjectNode o = areas.putObject(a);
        o.put("passed", n[0]);
        o.put("failed", n[1]);
        o.put("skipped", n[2]);
        o.put("error", n[3]);
      });
      ArrayNode results = run.putArray("results");
      for (Result x : r.results()) {
        ObjectNode o = results.addObject();
        o.put("name", x.name());
        o.put("area", x.area());
        o.put("kind", x.kind());
        o.put("status", x.status().name().toLowerCase());
        o.put("seconds", x.millis() / 1000.0);
        if (x.message() != null) {
          o.put("message", x.message());
        }
      }
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    m.writeValue(file.toFile(), root);
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }

  private static int positive(String v, String flag) {
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " needs a number, got " + v);
    }
    if (n < 1) {
      throw new IllegalArgumentException(flag + " must be at least 1");
    }
    return n;
  }
}
