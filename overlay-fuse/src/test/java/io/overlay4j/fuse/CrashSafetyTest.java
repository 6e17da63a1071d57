package io.overlay4j.fuse;

import static io.overlay4j.fuse.ReliabilitySupport.ABSENT;
import static io.overlay4j.fuse.ReliabilitySupport.dir;
import static io.overlay4j.fuse.ReliabilitySupport.file;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlay4j.fuse.ReliabilitySupport.Expectation;
import io.overlay4j.fuse.ReliabilitySupport.InProcessMount;
import io.overlay4j.fuse.ReliabilitySupport.KernelMount;
import io.overlay4j.fuse.ReliabilitySupport.PyWorker;
import io.overlay4j.fuse.ReliabilitySupport.Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 of the server at a random moment during a copy-up of a large file, a rename of a
 * lower file, whiteout creation, the rmdir of merged directories and a metacopy data copy-up.
 * After each kill, a new overlay4j mount and the kernel's overlayfs over the same directories
 * must both show every object in its old or its new state: no truncated or half-copied file,
 * no lost name, no name back that a completed operation removed, and nothing left in work/.
 *
 * <p>Each scenario runs as many iterations as fit its share of {@code -Dcrash.seconds} (60 by
 * default: five scenarios of 12 s). The first iteration runs unkilled and times the operation;
 * the others kill the server after a delay drawn uniformly from [0, 1.2 x that time].
 * Operations reported done by the worker completed before the kill and must have persisted
 * (kill -9 loses no page cache); the one in flight may show either state.
 */
@Timeout(600)
class CrashSafetyTest {
  private static final long BUDGET_MS = Long.getLong("crash.seconds", 60) * 1000;
  private static final int SCENARIOS = 5;
  private static final byte[] TAIL = "<appended tail>".getBytes(StandardCharsets.US_ASCII);
  /** The server JVM: a faster start, nothing else changed. */
  private static final List<String> SERVER_JVM = List.of("-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC");

  TestMount t;
  Path kmerged;
  Server server;
  final SplittableRandom random = new SplittableRandom(Long.getLong("crash.seed",
      System.nanoTime()));

  @BeforeEach
  void layers() throws Exception {
    FuseTestSupport.assumeFuseMounts();
    t = new TestMount();
    assumeTrue(ReliabilitySupport.kernelOverlayWorks(t.root),
        "the kernel's overlayfs cannot be mounted here (needed to check the crashed upper)");
    kmerged = Files.createDirectory(t.root.resolve("kmerged"));
    // Bystanders: lower files, and changes made before the operation under test, which
    // completed and must survive every crash.
    for (int i = 0; i < 5; i++) {
      ReliabilitySupport.write(t.l1.resolve("keep/k" + i), ("k" + i).getBytes(), 0644);
      ReliabilitySupport.write(t.l2.resolve("keep/j" + i), ("j" + i).getBytes(), 0644);
    }
    ReliabilitySupport.mkdirs(t.l1.resolve("keep"), 0755);
    ReliabilitySupport.mkdirs(t.l2.resolve("keep"), 0755);
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (server != null) {
      server.close();
    }
    if (t != null) {
      if (MountTable.isMountPoint(kmerged)) {
        FuseTestSupport.sh("umount -l '" + kmerged + "'");
      }
      t.close();
    }
  }

  /** One kind of operation to crash in. */
  private abstract static class Scenario {
    final String name;

    Scenario(String name) {
      this.name = name;
    }

    /** Options added to lowerdir/upperdir/workdir (for overlay4j and the kernel alike). */
    String extraOptions() {
      return "";
    }

    /** Python statements run before the operation (never killed): their effects must persist. */
    String pre() {
      return "";
    }

    /** The operation under test, in Python; "say('done X')" after each step that completed. */
    abstract String op();

    /** The states allowed after the worker reported {@code lines}. */
    abstract void expect(Expectation e, List<String> lines);

    /** "old", "new", "split" or "complete": where the operation in flight landed. */
    abstract String outcome(Map<String, String> view, List<String> lines);
  }

  private static final String PREAMBLE = String.join("\n",
      "import os, sys, time",
      "os.umask(0o022)",
      "M = sys.argv[1]",
      "def say(s):",
      "    sys.stdout.write(s + '\\n'); sys.stdout.flush()",
      "def append(p, data):",
      "    fd = os.open(M + '/' + p, os.O_WRONLY | os.O_APPEND)",
      "    os.write(fd, data)",
      "    os.close(fd)",
      "try:",
      "    append('keep/k0', b'+')",
      "    with open(M + '/pre', 'w') as f: f.write('pre')",
      "    os.mkdir(M + '/predir')",
      "    os.unlink(M + '/keep/j4')",
      "PRE",
      "    say('ready')",
      "    while not os.path.exists(sys.argv[2]): time.sleep(0.002)",
      "    say('go')",
      "OP",
      "    say('finished')",
      "except OSError as e:",
      "    say('error %d %s' % (e.errno, e.strerror))",
      "");

  private static String indent(String body) {
    return body.lines().map(l -> "    " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  /** The bystanders, as every crash must leave them. */
  private static void bystanders(Expectation e) {
    e.exactly("keep", dir(0755));
    for (int i = 0; i < 5; i++) {
      e.exactly("keep/k" + i, file(0644, (i == 0 ? "k0+" : "k" + i).getBytes()));
      if (i < 4) {
        e.exactly("keep/j" + i, file(0644, ("j" + i).getBytes()));
      }
    }
    e.exactly("pre", file(0644, "pre".getBytes()));
    e.exactly("predir", dir(0755));
  }

  private static boolean done(List<String> lines, String what) {
    return lines.contains("done " + what);
  }

  // ---- the scenarios ----

  @Test
  void copyUpOfALargeFile() throws Exception {
    byte[] big = randomBytes(64 << 20);
    ReliabilitySupport.write(t.l1.resolve("big"), big, 0644);
    String old = file(0644, big);
    String now = file(0644, big, TAIL);
    run(new Scenario("copy-up of 64 MiB (append through the mount)") {
      @Override
      String op() {
        return "append('big', b'" + new String(TAIL, StandardCharsets.US_ASCII)
            + "')\nsay('done big')";
      }

      @Override
      void expect(Expectation e, List<String> lines) {
        if (done(lines, "big")) {
          e.exactly("big", now);
        } else {
          e.allow("big", old, now);
        }
      }

      @Override
      String outcome(Map<String, String> view, List<String> lines) {
        return now.equals(view.get("big")) ? "new" : "old";
      }
    });
  }

  @Test
  void renameOfALowerFile() throws Exception {
    byte[] src = randomBytes(8 << 20);
    ReliabilitySupport.write(t.l2.resolve("src"), src, 0644);
    ReliabilitySupport.write(t.l1.resolve("dst"), "old dst".getBytes(), 0644);
    String s = file(0644, src);
    String d = file(0644, "old dst".getBytes());
    run(new Scenario("rename of an 8 MiB lower file over a lower file") {
      @Override
      String op() {
        return "os.rename(M + '/src', M + '/dst')\nsay('done rename')";
      }

      @Override
      void expect(Expectation e, List<String> lines) {
        if (done(lines, "rename")) {
          e.exactly("dst", s);
        } else {
          e.allow("src", s, ABSENT).allow("dst", d, s);
        }
      }

      @Override
      String outcome(Map<String, String> view, List<String> lines) {
        boolean srcThere = view.containsKey("src");
        boolean moved = s.equals(view.get("dst"));
        if (!srcThere && !moved) {
          throw new AssertionError("the renamed file is lost: neither src nor dst has it");
        }
        return srcThere && moved ? "split" : moved ? "new" : "old";
      }
    });
  }

  @Test
  void whiteoutCreation() throws Exception {
    List<String> names = new ArrayList<>();
    Map<String, String> content = new TreeMap<>();
    for (int i = 0; i < 200; i++) {
      String n = String.format("a%03d", i);
      ReliabilitySupport.write(t.l1.resolve("wh/" + n), n.getBytes(), 0644);
      names.add(n);
      content.put(n, file(0644, (i < 10 ? n + "+" : n).getBytes()));
    }
    for (int i = 0; i < 150; i++) {
      String n = String.format("b%03d", i);
      ReliabilitySupport.write(t.l2.resolve("wh/" + n), n.getBytes(), 0644);
      names.add(n);
      content.put(n, file(0644, n.getBytes()));
    }
    ReliabilitySupport.mkdirs(t.l1.resolve("wh"), 0755);
    ReliabilitySupport.mkdirs(t.l2.resolve("wh"), 0755);
    run(new Scenario("whiteouts: rm of 350 lower files, 10 of them copied up") {
      @Override
      String pre() {
        return String.join("\n",
            "for i in range(10):",
            "    append('wh/a%03d' % i, b'+')",
            "names = sorted(os.listdir(M + '/wh'))");
      }

      @Override
      String op() {
        return String.join("\n",
            "for n in names:",
            "    os.unlink(M + '/wh/' + n)",
            "    say('done ' + n)");
      }

      @Override
      void expect(Expectation e, List<String> lines) {
        e.exactly("wh", dir(0755));
        boolean inFlight = true;
        for (String n : names) {
          if (done(lines, n)) {
            e.exactly("wh/" + n, ABSENT);
          } else if (inFlight) {
            e.allow("wh/" + n, content.get(n), ABSENT);
            inFlight = false;
          } else {
            e.exactly("wh/" + n, content.get(n));
          }
        }
      }

      @Override
      String outcome(Map<String, String> view, List<String> lines) {
        for (String n : names) {
          if (!done(lines, n)) {
            return view.containsKey("wh/" + n) ? "old" : "new";
          }
        }
        return "complete";
      }
    });
  }

  @Test
  void rmdirOfMergedDirectories() throws Exception {
    List<String> dirs = List.of("tree/d0/sub", "tree/d0", "tree/d1", "tree/d2", "tree/d3",
        "tree/solo", "tree");
    List<String> files = new ArrayList<>();
    for (int d = 0; d < 4; d++) {
      for (int i = 0; i < 150; i++) {
        String f = String.format("tree/d%d/f%03d", d, i);
        String g = String.format("tree/d%d/g%03d", d, i);
        ReliabilitySupport.write(t.l1.resolve(f), f.getBytes(), 0644);
        ReliabilitySupport.write(t.l2.resolve(g), g.getBytes(), 0644);
        files.add(f);
        files.add(g);
      }
    }
    ReliabilitySupport.write(t.l1.resolve("tree/d0/sub/x"), "x".getBytes(), 0644);
    ReliabilitySupport.write(t.l2.resolve("tree/solo/y"), "y".getBytes(), 0644);
    files.add("tree/d0/sub/x");
    files.add("tree/solo/y");
    for (Path l : List.of(t.l1, t.l2)) {
      try (var s = Files.walk(l.resolve("tree"))) {
        for (Path p : s.filter(Files::isDirectory).toList()) {
          ReliabilitySupport.mkdirs(p, 0755);
        }
      }
    }
    run(new Scenario("rm -r of a merged tree (1202 lower files), killed in the rmdirs") {
      @Override
      String pre() {
        // rm -r order: every file first (not killed), then the directories bottom-up.
        return String.join("\n",
            "for root, ds, fs in os.walk(M + '/tree', topdown=False):",
            "    for f in fs:",
            "        os.unlink(os.path.join(root, f))");
      }

      @Override
      String op() {
        return String.join("\n",
            "for d in " + pyList(dirs) + ":",
            "    os.rmdir(M + '/' + d)",
            "    say('done ' + d)");
      }

      @Override
      void expect(Expectation e, List<String> lines) {
        for (String f : files) {
          e.exactly(f, ABSENT); // its unlink completed before "go"
        }
        boolean inFlight = true;
        for (String d : dirs) {
          if (done(lines, d)) {
            e.exactly(d, ABSENT);
          } else if (inFlight) {
            e.allow(d, dir(0755), ABSENT);
            inFlight = false;
          } else {
            e.exactly(d, dir(0755));
          }
        }
      }

      @Override
      String outcome(Map<String, String> view, List<String> lines) {
        for (String d : dirs) {
          if (!done(lines, d)) {
            return view.containsKey(d) ? "old" : "new";
          }
        }
        return "complete";
      }
    });
  }

  @Test
  void metacopyDataCopyUp() throws Exception {
    byte[] data = randomBytes(32 << 20);
    ReliabilitySupport.write(t.l2.resolve("mc"), data, 0644);
    String old = file(0644, data);
    String chmodded = file(0600, data);
    String now = file(0600, data, TAIL);
    run(new Scenario("metacopy=on: chmod (metadata copy-up), then append (32 MiB data copy-up)") {
      @Override
      String extraOptions() {
        return ",metacopy=on";
      }

      @Override
      String op() {
        return String.join("\n",
            "os.chmod(M + '/mc', 0o600)",
            "say('done chmod')",
            "append('mc', b'" + new String(TAIL, StandardCharsets.US_ASCII) + "')",
            "say('done append')");
      }

      @Override
      void expect(Expectation e, List<String> lines) {
        if (done(lines, "append")) {
          e.exactly("mc", now);
        } else if (done(lines, "chmod")) {
          e.allow("mc", chmodded, now);
        } else {
          e.allow("mc", old, chmodded);
        }
      }

      @Override
      String outcome(Map<String, String> view, List<String> lines) {
        String v = view.get("mc");
        return now.equals(v) ? "new" : chmodded.equals(v) && !done(lines, "chmod")
            ? "new (chmod)" : "old";
      }
    });
  }

  // ---- the loop ----

  /** The server's calls that change upper or work/: where a crash matters. */
  private static final List<String> CRASH_SYSCALLS = List.of("renameat2", "unlink", "rmdir",
      "mknodat", "fsync", "lremovexattr", "lsetxattr", "copy_file_range");

  /** A kill at the entry of the {@code k}-th call of {@code syscall} (strace fault injection). */
  private record CrashPoint(String syscall, int k) {
    @Override
    public String toString() {
      return syscall + "#" + k;
    }
  }

  private void run(Scenario s) throws Exception {
    String options = t.options() + s.extraOptions();
    String script = PREAMBLE.replace("PRE", indent(s.pre())).replace("OP", indent(s.op()));
    boolean inject = ReliabilitySupport.hasCommand("strace") && !Boolean.getBoolean("crash.noInject");
    long slice = BUDGET_MS / SCENARIOS;
    long start = System.currentTimeMillis();
    long opNanos = 0;
    int iterations = 0;
    int leftoverRuns = 0;
    int leftoverEntries = 0;
    long maxDelayMicros = 0;
    List<CrashPoint> points = new ArrayList<>();
    List<CrashPoint> injected = new ArrayList<>();
    int randomKills = 0;
    Map<String, Integer> outcomes = new TreeMap<>();
    List<String> violations = new ArrayList<>();
    int violatingRuns = 0;
    Path goFile = t.root.resolve("go");
    Path trace = t.root.resolve("strace.log");
    while ((iterations < 3 || System.currentTimeMillis() - start < slice) && iterations < 500) {
      ReliabilitySupport.empty(t.upper);
      ReliabilitySupport.empty(t.work);
      Files.deleteIfExists(goFile);
      Files.deleteIfExists(trace);
      boolean calibration = iterations == 0;
      // Odd iterations kill at the next systematic crash point, even ones at a random time.
      CrashPoint point = !calibration && iterations % 2 == 1 && !points.isEmpty()
          ? points.remove(0) : null;
      boolean single = point != null || calibration && inject;
      server = Server.start(options, t.merged, t.root.resolve("server.log"), SERVER_JVM,
          Map.of(), single ? List.of("--threads", "single") : List.of());
      List<String> lines;
      long delay = 0;
      Process strace = null;
      try (PyWorker w = new PyWorker(script, t.merged.toString(), goFile.toString())) {
        w.await("ready", 120);
        if (calibration && inject) {
          strace = ReliabilitySupport.strace(server.pid(), trace, "-e",
              "trace=" + String.join(",", CRASH_SYSCALLS));
        } else if (point != null) {
          strace = ReliabilitySupport.strace(server.pid(), trace, "-e", "trace=" + point.syscall,
              "-e", "inject=" + point.syscall + ":signal=KILL:when=" + point.k);
        }
        Files.createFile(goFile);
        w.await("go", 60);
        long go = System.nanoTime();
        if (calibration) {
          lines = w.finish(300);
          opNanos = System.nanoTime() - go;
          if (strace != null) {
            opNanos /= 2; // strace stops the server at every call: about twice as slow
          }
          assertTrue(lines.contains("finished"), "the unkilled run completes: " + lines);
          server.unmount();
          if (strace != null) {
            strace.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            points.addAll(crashPoints(Files.readAllLines(trace)));
          }
        } else if (point != null) {
          lines = w.finish(120);
          injected.add(point);
          if (server.process.isAlive()) { // the op ended before the k-th call: nothing injected
            server.unmount();
          } else {
            server.kill9();
          }
        } else {
          delay = random.nextLong(opNanos * 12 / 10 + 1);
          maxDelayMicros = Math.max(maxDelayMicros, delay / 1000);
          LockSupport.parkNanos(delay);
          server.kill9();
          randomKills++;
          lines = w.finish(60);
        }
      } finally {
        if (strace != null) {
          strace.destroy();
          strace.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
      }
      server = null;
      List<String> left = ReliabilitySupport.names(t.work.resolve("work"));
      if (!left.isEmpty()) {
        leftoverRuns++;
        leftoverEntries += left.size();
      }
      Map<String, String> mine;
      try (InProcessMount m = new InProcessMount(options, t.merged)) {
        assertEquals(List.of(), ReliabilitySupport.names(t.work.resolve("work")),
            "overlay4j removes work/ leftovers at mount");
        mine = ReliabilitySupport.snapshot(t.merged);
      }
      Map<String, String> kernel;
      try (KernelMount k = new KernelMount(options, kmerged)) {
        kernel = ReliabilitySupport.snapshot(kmerged);
      }
      Expectation e = new Expectation();
      bystanders(e);
      s.expect(e, lines);
      String what = s.name + ", iteration " + iterations + (calibration ? " (not killed)"
          : point != null ? " (killed at the entry of " + point + ")"
          : " (killed after " + delay / 1000 + " us)") + ", worker said " + tail(lines);
      List<String> bad = new ArrayList<>(e.violations(mine, "overlay4j"));
      bad.addAll(e.violations(kernel, "kernel"));
      if (!mine.equals(kernel)) {
        bad.add("overlay4j and the kernel show different trees: " + diff(mine, kernel));
      }
      String outcome;
      try {
        outcome = s.outcome(mine, lines);
      } catch (AssertionError ae) {
        outcome = "lost";
        bad.add(ae.getMessage());
      }
      if (lines.contains("finished") && !calibration) {
        outcome = "complete";
      }
      if (calibration && !bad.isEmpty()) {
        throw new AssertionError("unkilled run: " + what + "\n  " + String.join("\n  ", bad));
      }
      if (!bad.isEmpty()) {
        violatingRuns++;
        if (violations.size() < 12) {
          violations.add(what + ":\n    " + String.join("\n    ",
              bad.subList(0, Math.min(6, bad.size()))));
        }
      }
      if (!calibration) {
        outcomes.merge(outcome, 1, Integer::sum);
      }
      iterations++;
    }
    String summary = String.format("crash %s: %d iterations in %.1f s (1 unkilled: operation"
            + " took ~%d ms; %d killed at a random time 0..%d ms after it started; %d killed by"
            + " strace at the entry of %s); in-flight operation landed %s; %d kills left %d"
            + " entries in work/work, all removed at the next mount; %d iterations violated the"
            + " old-or-new rule",
        s.name, iterations, (System.currentTimeMillis() - start) / 1000.0, opNanos / 1_000_000,
        randomKills, maxDelayMicros / 1000, injected.size(), injected, outcomes, leftoverRuns,
        leftoverEntries, violatingRuns);
    System.out.println(summary);
    if (!violations.isEmpty()) {
      throw new AssertionError(summary + "\n" + String.join("\n", violations));
    }
  }

  /**
   * The crash points of a calibration trace: of each traced call, its first, middle and last
   * occurrence first, then the rest in a seeded random order.
   */
  private List<CrashPoint> crashPoints(List<String> trace) {
    Map<String, Integer> counts = new TreeMap<>();
    for (String l : trace) {
      for (String sc : CRASH_SYSCALLS) {
        if (l.matches("^\\d+\\s+" + sc + "\\(.*")) {
          counts.merge(sc, 1, Integer::sum);
        }
      }
    }
    List<CrashPoint> first = new ArrayList<>();
    List<CrashPoint> rest = new ArrayList<>();
    for (Map.Entry<String, Integer> c : counts.entrySet()) {
      int n = c.getValue();
      java.util.Set<Integer> early = new java.util.TreeSet<>(List.of(1, (n + 1) / 2, n));
      for (int k = 1; k <= n; k++) {
        (early.contains(k) ? first : rest).add(new CrashPoint(c.getKey(), k));
      }
    }
    java.util.Collections.shuffle(rest, new java.util.Random(random.nextLong()));
    // Interleave the syscalls so that a short budget still tries each of them.
    first.sort(java.util.Comparator.comparingInt((CrashPoint p) -> p.k == 1 ? 0 : 1));
    first.addAll(rest);
    return first;
  }

  private static String tail(List<String> lines) {
    List<String> l = lines.size() > 3 ? lines.subList(lines.size() - 3, lines.size()) : lines;
    return l.toString();
  }

  private static String diff(Map<String, String> a, Map<String, String> b) {
    List<String> out = new ArrayList<>();
    java.util.Set<String> keys = new java.util.TreeSet<>(a.keySet());
    keys.addAll(b.keySet());
    for (String k : keys) {
      String x = a.getOrDefault(k, ABSENT);
      String y = b.getOrDefault(k, ABSENT);
      if (!x.equals(y) && out.size() < 5) {
        out.add(k + ": overlay4j [" + x + "] kernel [" + y + "]");
      }
    }
    return out.toString();
  }

  private static String pyList(List<String> items) {
    return items.stream().map(i -> "'" + i + "'").reduce((a, b) -> a + ", " + b)
        .map(x -> "[" + x + "]").orElse("[]");
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new java.util.Random(random.nextLong()).nextBytes(b);
    return b;
  }
}
