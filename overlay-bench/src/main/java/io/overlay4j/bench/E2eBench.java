package io.overlay4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * End-to-end workloads against real mounts: the plain filesystem (the physical baseline), the
 * kernel's overlayfs, fuse-overlayfs and overlay4j's FUSE mount (single- and multi-threaded
 * libfuse loop), all over the same layers, in one run. Every workload runs on every
 * implementation in turn, repetition by repetition (the order rotates), so the noise of a
 * shared machine hits all of them alike; the report gives medians and ratios to the kernel.
 *
 * <p>Needs root and a private mount namespace: {@code ./overlay4j bench e2e} starts it under
 * {@code unshare -m --propagation private}, so nothing it mounts is seen outside.
 *
 * <pre>
 * E2eBench [--quick] [--out FILE] [--impls plain,kernel,fuse-overlayfs,overlay4j]
 *          [--dir DIR] [--reps N] [--only WORKLOAD,...] [--keep]
 * </pre>
 */
public final class E2eBench {
  static final String KIND = "overlay4j-e2e";
  private static final List<String> ALL_IMPLS = List.of("plain", "kernel", "fuse-overlayfs",
      "overlay4j-single", "overlay4j-multi", "overlay4j-volatile");

  private final E2eLayers layers;
  private final List<E2eImpl> impls;
  private final Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> failures = new LinkedHashMap<>();
  private final Map<String, String> descriptions = new LinkedHashMap<>();

  private E2eBench(E2eLayers layers, List<E2eImpl> impls) {
    this.layers = layers;
    this.impls = impls;
  }

  /** One workload: what it measures (one or more metrics) on one implementation, one rep. */
  @FunctionalInterface
  interface Measure {
    double[] run(E2eImpl impl, int rep) throws Exception;
  }

  /**
   * @param warmUp run once untimed on each implementation before the first repetition (read
   *     workloads measured warm: otherwise the first implementation to read pays for the disk)
   */
  record Workload(String name, List<String> metrics, List<String> descriptions, boolean warmUp,
      Measure measure) {
    static Workload shell(String name, String description, ShellBody body) {
      return new Workload(name, List.of(name), List.of(description), false, (impl, rep) ->
          new double[] {Sh.timeBash(impl.merged, body.setup(rep), body.body(rep))});
    }

    Workload warm() {
      return new Workload(name, metrics, descriptions, true, measure);
    }
  }

  /** A timed bash body for repetition {@code rep}, in the merged directory. */
  interface ShellBody {
    String body(int rep);

    default String setup(int rep) {
      return "";
    }
  }

  private List<Workload> workloads() throws IOException {
    E2eLayers.Sizes s = layers.sizes;
    String walk = "find . -printf '%s %m %p\\n'";
    List<Workload> w = new ArrayList<>();
    w.add(new Workload("walk", List.of("walk-cold", "walk-warm"), List.of(
        "find -printf '%s %m %p' over the whole tree (lstat of every entry) right after "
            + "sync, drop_caches and a fresh mount",
        "the same find again: a second pass with warm caches"), false,
        (impl, rep) -> {
          impl.umount();
          dropCaches();
          impl.mount();
          double cold = Sh.timeBash(impl.merged, "", walk);
          double warm = Sh.timeBash(impl.merged, "", walk);
          return new double[] {cold, warm};
        }));
    List<String> statPaths = layers.statPaths();
    w.add(new Workload("stat-storm", List.of("stat-storm"), List.of(
        "lstat the same " + statPaths.size() + " files " + s.statPasses()
            + " times each (in the benchmark JVM: Files.readAttributes NOFOLLOW_LINKS)"), true,
        (impl, rep) -> new double[] {statStorm(impl.merged, statPaths, s.statPasses())}));
    w.add(Workload.shell("read-small", "cat " + layers.facts.get("small_files_read")
        + " small real files (< 64 KiB) through xargs", rep -> "xargs -d '\\n' -a "
        + Sh.q(layers.list("read")) + " cat").warm());
    w.add(Workload.shell("readdir-5000", "ls -f of the " + E2eLayers.BIGDIR_ENTRIES
        + "-entry merged directory, 5 times (readdir only)",
        rep -> "for i in 1 2 3 4 5; do ls -f gen/bigdir; done").warm());
    w.add(Workload.shell("ls-l-5000", "ls -l of the " + E2eLayers.BIGDIR_ENTRIES
        + "-entry merged directory (readdir, lstat and ACL xattr look-ups)",
        rep -> "ls -l gen/bigdir").warm());
    w.add(Workload.shell("seq-read", "dd bs=1M of the " + (s.bigFileBytes() >> 20)
        + " MiB lower file (warm: page cache filled by an untimed first pass)",
        rep -> "dd if=gen/big.bin of=/dev/null bs=1M status=none").warm());
    w.add(Workload.shell("copyup-append-small", "echo x >> each of " + s.copyUpFiles()
        + " 4 KiB lower files (bash builtins: copy-up of each)", rep -> "for ((i=0;i<"
        + s.copyUpFiles() + ";i++)); do printf -v f 'gen/r" + rep
        + "/smallcopy/f%04d' $i; echo x >> \"$f\"; done"));
    w.add(Workload.shell("copyup-append-big", "echo x >> a " + (s.bigFileBytes() >> 20)
        + " MiB lower file (copy-up of the whole file)",
        rep -> "echo x >> gen/r" + rep + "/big.bin"));
    w.add(Workload.shell("chmod", "chmod 600 of " + s.chmodFiles()
        + " 4 KiB lower files (xargs chmod; copy-up, metacopy off)",
        rep -> "xargs -d '\\n' -a " + Sh.q(layers.list("chmod-r" + rep)) + " chmod 600"));
    w.add(Workload.shell("create", "create " + s.createFiles()
        + " new 4 KiB files in a lower directory (bash builtins)", new ShellBody() {
          @Override
          public String setup(int rep) {
            return "b=$(printf '%4096s' '')";
          }

          @Override
          public String body(int rep) {
            return "for ((i=0;i<" + s.createFiles() + ";i++)); do printf '%s' \"$b\" > gen/r"
                + rep + "/create/n$i; done";
          }
        }));
    w.add(Workload.shell("unlink", "rm -f of " + s.unlinkFiles()
        + " lower files (xargs rm; whiteouts)",
        rep -> "xargs -d '\\n' -a " + Sh.q(layers.list("unlink-r" + rep)) + " rm -f"));
    w.add(Workload.shell("rm-r", "rm -rf of a lower tree (" + layers.facts.get("rm_tree_entries")
        + " entries, a copy of " + layers.facts.get("rm_tree_source") + ")",
        rep -> "rm -rf gen/r" + rep + "/rmtree"));
    w.add(Workload.shell("untar", "tar -xf of a real archive (" + layers.facts.get("untar_entries")
        + " entries, " + (((Number) layers.facts.get("untar_bytes")).longValue() >> 20)
        + " MiB, of " + layers.facts.get("untar_source") + ") into a lower directory",
        rep -> "tar -xf " + Sh.q(layers.archive()) + " -C gen/r" + rep + "/untar"));
    // Not through the overlay: the same create loop in a sibling of each implementation's upper
    // directory. On some machines (this VM's ext4) creating files costs 40-800 us depending on
    // the directory's block group; this row shows whether the implementations' directories
    // start out physically alike, so a create or untar ratio can be trusted or not.
    w.add(new Workload("calib-create", List.of("calib-create"), List.of(
        "calibration, not through any overlay: create 500 empty files in a new directory beside "
            + "the implementation's upper (plain: beside its tree) and remove them"), false,
        (impl, rep) -> {
          Path d = impl.dir.resolve("calib-" + rep);
          Files.createDirectories(d);
          double t = Sh.timeBash(d, "", "for ((i=0;i<500;i++)); do : > n$i; done");
          Sh.bash("rm -rf " + Sh.q(d));
          return new double[] {t};
        }));
    return w;
  }

  private static double statStorm(Path merged, List<String> paths, int passes)
      throws IOException {
    List<Path> ps = new ArrayList<>(paths.size());
    for (String p : paths) {
      ps.add(merged.resolve(p));
    }
    for (Path p : ps) { // one untimed pass: the benchmark JVM's own warm-up
      Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < passes; i++) {
      for (Path p : ps) {
        Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  static void dropCaches() throws IOException {
    Sh.out("sync");
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
  }

  private void runAll(List<Workload> workloads, int reps) throws IOException {
    int turn = 0;
    for (Workload w : workloads) {
      for (int i = 0; i < w.metrics().size(); i++) {
        descriptions.put(w.metrics().get(i), w.descriptions().get(i));
        samples.put(w.metrics().get(i), new LinkedHashMap<>());
      }
      if (w.warmUp()) {
        for (E2eImpl impl : impls) {
          try {
            w.measure().run(impl, 0);
          } catch (Exception e) {
            System.err.printf("bench: warm-up of %s on %s failed: %s%n", w.name(), impl.name,
                e.getMessage());
          }
        }
      }
      for (int rep = 0; rep < reps; rep++) {
        List<E2eImpl> order = rotate(impls, turn++);
        for (E2eImpl impl : order) {
          if (failures.getOrDefault(w.name(), Map.of()).containsKey(impl.name)) {
            continue; // failed once: the remaining repetitions would too
          }
          Sh.out("sync"); // write back the previous measurement's data, untimed
          double[] v;
          try {
            v = w.measure().run(impl, rep);
          } catch (Exception e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            System.err.printf("bench: %s on %s failed: %s%n", w.name(), impl.name, msg);
            failures.computeIfAbsent(w.name(), k -> new LinkedHashMap<>()).put(impl.name, msg);
            recover(impl);
            continue;
          }
          for (int i = 0; i < v.length; i++) {
            samples.get(w.metrics().get(i)).computeIfAbsent(impl.name, k -> new ArrayList<>())
                .add(v[i]);
          }
          System.err.printf(Locale.ROOT, "bench: %-20s rep %d %-17s %s%n", w.name(), rep,
              impl.name, Arrays.toString(Arrays.stream(v).mapToObj(
                  x -> String.format(Locale.ROOT, "%.4f", x)).toArray()));
        }
      }
    }
  }

  /** After a failure: make sure the implementation is mounted again for the next workload. */
  private static void recover(E2eImpl impl) {
    try {
      if (!impl.mounted()) {
        impl.umount();
        impl.mount();
      }
    } catch (Exception e) {
      System.err.println("bench: could not remount " + impl.name + ": " + e.getMessage());
    }
  }

  private static <T> List<T> rotate(List<T> l, int by) {
    List<T> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      out.add(l.get((i + by) % l.size()));
    }
    return out;
  }

  static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (a.length == 0) {
      return Double.NaN;
    }
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  private String referenceImpl() {
    for (E2eImpl i : impls) {
      if (i.name.equals("kernel")) {
        return "kernel";
      }
    }
    return impls.get(0).name;
  }

  /** The result rows: one per metric and implementation. */
  private List<Map<String, Object>> results() {
    String ref = referenceImpl();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (var metric : samples.entrySet()) {
      Double refMedian = metric.getValue().containsKey(ref)
          ? median(metric.getValue().get(ref)) : null;
      for (E2eImpl impl : impls) {
        List<Double> xs = metric.getValue().get(impl.name);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("workload", metric.getKey());
        row.put("impl", impl.name);
        row.put("samples_s", xs == null ? List.of() : xs);
        double med = xs == null ? Double.NaN : median(xs);
        row.put("median_s", Double.isNaN(med) ? null : med);
        row.put("ratio_to_" + ref, Double.isNaN(med) || refMedian == null || refMedian == 0
            ? null : med / refMedian);
        String workload = metric.getKey().startsWith("walk-") ? "walk" : metric.getKey();
        String failure = failures.getOrDefault(workload, Map.of()).get(impl.name);
        if (failure != null) {
          row.put("error", failure);
        }
        rows.add(row);
      }
    }
    return rows;
  }

  private String table() {
    String ref = referenceImpl();
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-20s", "median s (x " + ref + ")"));
    for (E2eImpl i : impls) {
      sb.append(String.format(Locale.ROOT, " %20s", i.name));
    }
    sb.append('\n');
    for (var metric : samples.entrySet()) {
      sb.append(String.format(Locale.ROOT, "%-20s", metric.getKey()));
      List<Double> refXs = metric.getValue().get(ref);
      double refMed = refXs == null ? Double.NaN : median(refXs);
      for (E2eImpl i : impls) {
        List<Double> xs = metric.getValue().get(i.name);
        String cell;
        if (xs == null || xs.isEmpty()) {
          cell = "failed";
        } else {
          double m = median(xs);
          cell = String.format(Locale.ROOT, "%.4f (%5.2fx)", m, m / refMed);
        }
        sb.append(String.format(Locale.ROOT, " %20s", cell));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    boolean keep = false;
    boolean allowHostNamespace = false;
    Path out = null;
    Path dir = Path.of("/var/tmp/overlay4j-bench");
    Integer reps = null;
    List<String> implNames = ALL_IMPLS;
    List<String> only = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--keep" -> keep = true;
        case "--allow-host-namespace" -> allowHostNamespace = true;
        case "--out" -> out = Path.of(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--impls" -> implNames = expandImpls(args[++i]);
        case "--only" -> only = List.of(args[++i].split(","));
        case "-h", "--help" -> {
          System.out.println("usage: bench e2e [--quick] [--out FILE] [--impls "
              + "plain,kernel,fuse-overlayfs,overlay4j] [--reps N] [--dir DIR] "
              + "[--only WORKLOAD,...] [--keep]\n  overlay4j = overlay4j-single,overlay4j-multi;"
              + " overlay4j-volatile = single-threaded, -o volatile (no syncs)");
          return;
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (!"0".equals(Sh.tryOut("id", "-u"))) {
      die("e2e needs root (mount, drop_caches)");
    }
    String ns = Sh.tryOut("readlink", "/proc/self/ns/mnt");
    if (!allowHostNamespace && ns != null && ns.equals(Sh.tryOut("readlink", "/proc/1/ns/mnt"))) {
      die("run me in a private mount namespace (unshare -m --propagation private ...); "
          + "./overlay4j bench e2e does");
    }
    E2eLayers.Sizes sizes = quick ? E2eLayers.Sizes.quick() : E2eLayers.Sizes.full();
    if (reps != null) {
      sizes = new E2eLayers.Sizes(sizes.quickMode(), reps, sizes.bigFileBytes(), sizes.copyUpFiles(),
          sizes.chmodFiles(), sizes.unlinkFiles(), sizes.createFiles(), sizes.readFiles(),
          sizes.statPaths(), sizes.statPasses(), sizes.realTreeBudget());
    }
    Path home = Path.of(System.getProperty(MachineInfo.HOME_PROPERTY, ".")).toAbsolutePath();
    Path jar = Path.of(System.getProperty("overlay4j.jar",
        home.resolve("overlay-fuse/target/overlay4j.jar").toString()));
    if (out == null) {
      out = Path.of("bench-results", "e2e-" + MachineInfo.archTag() + "-"
          + (quick ? "quick" : "full") + "-" + LocalDate.now() + ".json");
    }

    long t0 = System.nanoTime();
    E2eLayers layers = new E2eLayers(dir, sizes);
    System.err.println("bench: building layers in " + dir + " ...");
    layers.build();
    System.err.printf(Locale.ROOT, "bench: layers built in %.0f s: %s%n",
        (System.nanoTime() - t0) / 1e9, layers.facts);

    Path runDir = dir.resolve("run");
    List<E2eImpl> impls = new ArrayList<>();
    for (String n : implNames) {
      impls.add(switch (n) {
        case "plain" -> new E2eImpl.Plain(runDir);
        case "kernel" -> new E2eImpl.Kernel(runDir);
        case "fuse-overlayfs" -> new E2eImpl.FuseOverlayfs(runDir);
        case "overlay4j-single" -> new E2eImpl.Overlay4j(runDir, jar, "single");
        case "overlay4j-multi" -> new E2eImpl.Overlay4j(runDir, jar, "multi");
        case "overlay4j-volatile" -> new E2eImpl.Overlay4j(runDir, jar, "volatile");
        default -> throw new IllegalArgumentException("unknown implementation " + n);
      });
    }
    E2eBench bench = new E2eBench(layers, impls);
    Thread cleanup = new Thread(() -> impls.forEach(i -> {
      if (i.mounted()) {
        i.umount();
      }
    }));
    Runtime.getRuntime().addShutdownHook(cleanup);
    Map<String, Object> implFacts = new LinkedHashMap<>();
    try {
      for (E2eImpl i : impls) {
        i.prepare(layers);
        i.mount();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("mount", i.mountLine());
        implFacts.put(i.name, f);
      }
      List<Workload> workloads = bench.workloads();
      if (only != null) {
        List<String> o = only;
        workloads.removeIf(w -> !o.contains(w.name()));
      }
      bench.runAll(workloads, sizes.reps());
      for (E2eImpl i : impls) {
        @SuppressWarnings("unchecked")
        Map<String, Object> f = (Map<String, Object>) implFacts.get(i.name);
        f.put("server_counters", i.serverCounters().orElse(null));
        if (i instanceof E2eImpl.Overlay4j o) {
          f.put("server_counters_note", "summed over every mount of the run: "
              + "`overlay4j stats` read before each unmount");
          // Which JVM served the mount: under --arch aarch64 an arm64 one (os_arch), emulated.
          f.put("server", o.server);
          f.put("server_java", E2eImpl.Overlay4j.javaBin());
          f.put("server_logs", o.logs);
        }
        String du = Sh.tryOut("du", "-sk", i.dir.resolve("upper").toString());
        f.put("upper_kib_after", du == null || i instanceof E2eImpl.Plain ? null
            : Long.parseLong(du.split("\\s+")[0]));
      }
    } finally {
      for (E2eImpl i : impls) {
        if (i.mounted()) {
          i.umount();
        }
      }
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }

    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("kind", KIND);
    doc.put("schema", 1);
    Map<String, Object> machine = MachineInfo.collect(layers.base, quick);
    if (MachineInfo.emulated()) {
      // Only the overlay4j servers ran emulated; the driver, the workloads (shell tools) and
      // the other implementations ran natively on the host.
      machine.put("emulated_part", "overlay4j servers (java " + E2eImpl.Overlay4j.javaBin()
          + "); the driver, workloads, kernel overlay and fuse-overlayfs ran natively on "
          + machine.get("host_arch"));
    }
    doc.put("machine", machine);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("quick", quick);
    config.put("sizes", sizes);
    config.put("impls", implNames);
    config.put("reference", bench.referenceImpl());
    config.put("layers", layers.facts);
    config.put("overlay_options", "lowerdir=app:base,upperdir=U,workdir=W (defaults otherwise)");
    config.put("elapsed_s", Math.round((System.nanoTime() - t0) / 1e9));
    doc.put("config", config);
    doc.put("workloads", bench.descriptions);
    doc.put("implementations", implFacts);
    doc.put("results", bench.results());
    if (!bench.failures.isEmpty()) {
      doc.put("failures", bench.failures);
    }
    String table = bench.table();
    doc.put("table", table.split("\n"));
    System.out.println();
    System.out.print(table);
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), doc);
    System.out.println("\nwrote " + out.toAbsolutePath());
    if (!keep) { // layers are rebuilt by every run: leave no GiBs behind
      Sh.bash("rm -rf " + Sh.q(runDir) + " " + Sh.q(dir.resolve("layers")) + " "
          + Sh.q(dir.resolve("data")));
    }
  }

  private static List<String> expandImpls(String spec) {
    List<String> out = new ArrayList<>();
    for (String s : spec.split(",")) {
      s = s.strip();
      if (s.equals("overlay4j")) {
        out.add("overlay4j-single");
        out.add("overlay4j-multi");
      } else if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  private static void die(String msg) {
    System.err.println("bench: " + msg);
    System.exit(2);
  }
}
