package io.overlay4j.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlay4j.fuse.ReliabilitySupport.InProcessMount;
import io.overlay4j.fuse.ReliabilitySupport.KernelMount;
import io.overlay4j.fuse.ReliabilitySupport.PyWorker;
import io.overlay4j.fuse.ReliabilitySupport.Server;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads (of this JVM) and processes (Python, sh) at once through one overlay4j server
 * process: concurrent copy-ups of one file, O_APPEND from several processes, renames over a
 * file being read, readdir while entries come and go, create/unlink storms in one directory.
 * Nothing is corrupted or lost, no request hangs (every phase is bounded), the server answers a
 * probe within seconds throughout, and afterwards upper is in the kernel's format: nothing in
 * work/, no .fuse_hidden files, and the kernel's overlayfs shows the same tree.
 */
@Timeout(120)
class ConcurrencyTest {
  private static final long PHASE_SECONDS = Long.getLong("concurrency.seconds", 3);

  TestMount t;
  Server server;
  Monitor monitor;
  ExecutorService pool;

  @BeforeEach
  void layers() throws Exception {
    FuseTestSupport.assumeFuseMounts();
    t = new TestMount();
    pool = Executors.newCachedThreadPool(r -> {
      Thread th = new Thread(r, "concurrency-client");
      th.setDaemon(true);
      return th;
    });
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (monitor != null) {
      monitor.stop();
    }
    if (pool != null) {
      pool.shutdownNow();
    }
    if (server != null) {
      server.close();
    }
    if (t != null) {
      t.close();
    }
  }

  private void mount() throws Exception {
    server = Server.start(t.options(), t.merged, t.root.resolve("server.log"), List.of());
    monitor = new Monitor(t.merged);
  }

  /**
   * Asks the server something it must answer itself (the stats attribute of the root, never
   * cached by the kernel) five times a second, and keeps the slowest answer.
   */
  static final class Monitor {
    final AtomicLong worstNanos = new AtomicLong();
    final AtomicLong probes = new AtomicLong();
    private volatile boolean running = true;
    private final Thread thread;

    Monitor(Path merged) {
      thread = new Thread(() -> {
        while (running) {
          long s = System.nanoTime();
          try {
            StatsCommand.read(merged);
            Files.exists(merged.resolve("probe-" + s)); // a negative lookup
          } catch (IOException e) {
            // counted below as slow if it hangs; a failure shows in the server log
          }
          worstNanos.accumulateAndGet(System.nanoTime() - s, Math::max);
          probes.incrementAndGet();
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "responsiveness-probe");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(10_000);
    }

    long worstMillis() {
      return worstNanos.get() / 1_000_000;
    }
  }

  /** Runs every task at once; each must finish within the phase bound (no deadlock). */
  private List<String> runAll(List<Callable<String>> tasks, long seconds) throws Exception {
    List<Future<String>> fs = new ArrayList<>();
    for (Callable<String> c : tasks) {
      fs.add(pool.submit(c));
    }
    List<String> results = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (Future<String> f : fs) {
      long left = deadline - System.nanoTime();
      try {
        results.add(f.get(Math.max(left, 1), TimeUnit.NANOSECONDS));
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError("a client did not finish within " + seconds
            + " s: deadlock or hung request (server log " + t.root.resolve("server.log") + ")");
      } catch (java.util.concurrent.ExecutionException e) {
        throw new AssertionError("a client failed: " + e.getCause(), e.getCause());
      }
    }
    return results;
  }

  /** After the storm: clean unmount, no leftovers, and the kernel shows what overlay4j shows. */
  private void checkUpperIsKernelFormat() throws Exception {
    monitor.stop();
    assertTrue(monitor.probes.get() > 0, "the probe ran");
    assertTrue(monitor.worstMillis() < 5000, "the server answered every probe within 5 s; worst "
        + monitor.worstMillis() + " ms");
    System.out.println("  responsiveness: " + monitor.probes.get() + " probes, slowest "
        + monitor.worstMillis() + " ms");
    monitor = null;
    server.unmount();
    server = null;
    assertEquals(List.of(), ReliabilitySupport.names(t.work.resolve("work")),
        "nothing left in work/work");
    assertEquals(List.of(), ReliabilitySupport.find(t.upper, ".fuse_hidden"),
        "no .fuse_hidden files in upper");
    Map<String, String> mine;
    try (InProcessMount m = new InProcessMount(t.options(), t.merged)) {
      mine = ReliabilitySupport.snapshot(t.merged);
    }
    if (ReliabilitySupport.kernelOverlayWorks(t.root)) {
      Path k = Files.createDirectory(t.root.resolve("kmerged"));
      Map<String, String> kernel;
      try (KernelMount km = new KernelMount(t.options(), k)) {
        kernel = ReliabilitySupport.snapshot(k);
      }
      assertEquals(kernel, mine, "the kernel's overlayfs shows the tree overlay4j shows");
    }
  }

  // ---- the storms ----

  @Test
  void oneFileCopiedUpByManyWritersAtOnce() throws Exception {
    int files = 8;
    int writers = 8;
    int region = 256 << 10;
    Random r = new Random(1);
    byte[][] lower = new byte[files][];
    for (int i = 0; i < files; i++) {
      lower[i] = new byte[writers * region];
      r.nextBytes(lower[i]);
      ReliabilitySupport.write(t.l2.resolve("c" + i), lower[i], 0644);
    }
    mount();
    for (int i = 0; i < files; i++) {
      Path f = t.merged.resolve("c" + i);
      CyclicBarrier start = new CyclicBarrier(writers);
      List<Callable<String>> tasks = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int me = w;
        tasks.add(() -> {
          byte[] mark = ("writer " + me + " was here ").repeat(200).getBytes();
          start.await(30, TimeUnit.SECONDS);
          // Opening for writing copies the file up: all writers trigger it at once.
          try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(mark), (long) me * region);
          }
          return "ok";
        });
      }
      runAll(tasks, 60);
      byte[] expected = lower[i].clone();
      for (int w = 0; w < writers; w++) {
        byte[] mark = ("writer " + w + " was here ").repeat(200).getBytes();
        System.arraycopy(mark, 0, expected, w * region, mark.length);
      }
      assertArrayEquals(expected, Files.readAllBytes(f), "c" + i + ": every writer's region"
          + " is there (one copy-up; no writer's data overwritten by a second copy-up)");
      assertArrayEquals(expected, Files.readAllBytes(t.upper.resolve("c" + i)));
      assertArrayEquals(lower[i], Files.readAllBytes(t.l2.resolve("c" + i)), "lower untouched");
    }
    checkUpperIsKernelFormat();
  }

  @Test
  void appendsFromManyProcessesAndThreadsLoseNothing() throws Exception {
    byte[] head = "L".repeat(1000).getBytes();
    ReliabilitySupport.write(t.l1.resolve("log"), head, 0644);
    mount();
    int perClient = 300;
    int procs = 4;
    int threads = 4;
    String script = String.join("\n",
        "import os, sys",
        "p, me, n = sys.argv[1], sys.argv[2], int(sys.argv[3])",
        "for i in range(n):",
        "    fd = os.open(p, os.O_WRONLY | os.O_APPEND)",
        "    rec = ('%s:%05d:' % (me, i)).ljust(63, '.') + '\\n'",
        "    assert os.write(fd, rec.encode()) == 64",
        "    os.close(fd)",
        "print('ok')");
    Path log = t.merged.resolve("log");
    List<PyWorker> workers = new ArrayList<>();
    List<Callable<String>> tasks = new ArrayList<>();
    for (int p = 0; p < procs; p++) {
      workers.add(new PyWorker(script, log.toString(), "p" + p, String.valueOf(perClient)));
    }
    for (int th = 0; th < threads; th++) {
      String me = "t" + th;
      tasks.add(() -> {
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
          for (int i = 0; i < perClient; i++) {
            String rec = String.format("%s:%05d:", me, i);
            rec = rec + ".".repeat(63 - rec.length()) + "\n";
            assertEquals(64, ch.write(ByteBuffer.wrap(rec.getBytes())));
          }
        }
        return "ok";
      });
    }
    runAll(tasks, 90);
    for (PyWorker w : workers) {
      List<String> out = w.finish(90);
      assertEquals(List.of("ok"), out, "a Python appender");
    }
    byte[] all = Files.readAllBytes(log);
    assertEquals(head.length + (long) (procs + threads) * perClient * 64, all.length,
        "total length = lower + the sum of all appends");
    Set<String> seen = new HashSet<>();
    for (int off = head.length; off < all.length; off += 64) {
      String rec = new String(all, off, 64, StandardCharsets.US_ASCII);
      assertTrue(rec.matches("[pt]\\d:\\d{5}:\\.+\\n"), "an intact record at " + off + ": "
          + rec);
      assertTrue(seen.add(rec.substring(0, 9)), "no record twice: " + rec);
    }
    assertEquals((procs + threads) * perClient, seen.size());
    checkUpperIsKernelFormat();
  }

  /**
   * Every read sees one whole version, never a mix or a torn file. On the kernel's overlay no
   * open or fstat would fail either; here some do with ENOENT: libfuse 2's path-based API
   * forgets a renamed-over file's path before the kernel moves its name, so an OPEN or GETATTR
   * in that window fails inside libfuse (README "Mounting"; the inode-based FUSE API would fix
   * it). They are counted and printed.
   */
  @Test
  void renamesOverAFileWhileOthersReadIt() throws Exception {
    ReliabilitySupport.write(t.l1.resolve("target"), version("lower", 0, 5000), 0644);
    mount();
    Path target = t.merged.resolve("target");
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(PHASE_SECONDS);
    List<Callable<String>> tasks = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int me = w;
      tasks.add(() -> {
        Random r = new Random(me);
        int n = 0;
        while (System.nanoTime() < end) {
          Path tmp = t.merged.resolve("tmp." + me + "." + n);
          Files.write(tmp, version("w" + me, n, 1 + r.nextInt(200_000)));
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
          n++;
        }
        return "renames " + n;
      });
    }
    AtomicLong reads = new AtomicLong();
    AtomicLong missing = new AtomicLong();
    AtomicLong fstatMissing = new AtomicLong();
    for (int rd = 0; rd < 3; rd++) {
      tasks.add(() -> {
        while (System.nanoTime() < end) {
          try {
            checkVersion(Files.readAllBytes(target));
            reads.incrementAndGet();
          } catch (NoSuchFileException e) {
            missing.incrementAndGet(); // rename(2) replaces atomically: never ENOENT
          } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No such file")) {
              throw e;
            }
            fstatMissing.incrementAndGet(); // fstat of an open file: never ENOENT
          }
        }
        return "reader";
      });
    }
    String pyRenamer = String.join("\n",
        "import os, sys, time, zlib",
        "m, secs = sys.argv[1], float(sys.argv[2])",
        "end = time.time() + secs",
        "n = 0",
        "while time.time() < end:",
        "    body = ('py %d ' % n).encode() * 300",
        "    data = ('%d %08x\\n' % (len(body), zlib.crc32(body))).encode() + body",
        "    tmp = '%s/tmp.py.%d' % (m, n)",
        "    with open(tmp, 'wb') as f: f.write(data)",
        "    os.rename(tmp, m + '/target')",
        "    n += 1",
        "print('ok', n)");
    try (PyWorker py = new PyWorker(pyRenamer, t.merged.toString(),
        String.valueOf(PHASE_SECONDS))) {
      List<String> results = runAll(tasks, PHASE_SECONDS + 60);
      List<String> out = py.finish(60);
      assertTrue(out.size() == 1 && out.get(0).startsWith("ok"), "python renamer: " + out);
      System.out.println("  renames over one file: " + results + ", python " + out + "; "
          + reads.get() + " whole reads, " + missing.get() + " opens and " + fstatMissing.get()
          + " fstats of an open file failed with ENOENT");
    }
    // Under this storm (five renamers, nothing else) about a quarter of the opens lose: the
    // window is every rename's round trip. Integrity is what is asserted.
    assertTrue(reads.get() > 0, "some reads of a file that rename(2) replaces succeed: "
        + reads.get() + " whole reads, " + missing.get() + " opens and " + fstatMissing.get()
        + " fstats failed");
    checkVersion(Files.readAllBytes(target));
    try (Stream<Path> s = Files.list(t.merged)) {
      assertEquals(List.of("target"), s.map(p -> p.getFileName().toString()).toList(),
          "every temporary name was renamed away");
    }
    checkUpperIsKernelFormat();
  }

  /** A self-checking file: "LENGTH CRC\n" then the body. */
  private static byte[] version(String who, int n, int size) {
    byte[] body = new byte[size];
    new Random(who.hashCode() * 31L + n).nextBytes(body);
    CRC32C c = new CRC32C();
    c.update(body);
    byte[] head = (size + " " + Long.toHexString(c.getValue()) + "\n").getBytes();
    return ReliabilitySupport.concat(head, body);
  }

  private static void checkVersion(byte[] b) {
    int nl = 0;
    while (nl < b.length && b[nl] != '\n') {
      nl++;
    }
    String[] head = new String(b, 0, nl, StandardCharsets.US_ASCII).split(" ");
    int size = Integer.parseInt(head[0]);
    assertEquals(size, b.length - nl - 1, "a whole version of the file, never a mix or a part");
    if (head[1].length() == 8 && b.length > 0 && isPython(b, nl)) {
      java.util.zip.CRC32 c = new java.util.zip.CRC32();
      c.update(b, nl + 1, size);
      assertEquals(Long.parseLong(head[1], 16), c.getValue(), "python version intact");
      return;
    }
    CRC32C c = new CRC32C();
    c.update(b, nl + 1, size);
    assertEquals(head[1], Long.toHexString(c.getValue()), "content intact");
  }

  private static boolean isPython(byte[] b, int nl) {
    return b.length > nl + 3 && b[nl + 1] == 'p' && b[nl + 2] == 'y' && b[nl + 3] == ' ';
  }

  @Test
  void readdirWhileEntriesComeAndGo() throws Exception {
    Set<String> stable = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      ReliabilitySupport.write(t.l1.resolve("d/l1-" + i), "x".getBytes(), 0644);
      ReliabilitySupport.write(t.l2.resolve("d/l2-" + i), "x".getBytes(), 0644);
      stable.add("l1-" + i);
      stable.add("l2-" + i);
    }
    for (int i = 0; i < 20; i++) {
      ReliabilitySupport.write(t.l2.resolve("d/churn-" + i), "lower".getBytes(), 0644);
    }
    mount();
    Path d = t.merged.resolve("d");
    for (int i = 0; i < 20; i++) {
      Files.writeString(d.resolve("up-" + i), "u");
      stable.add("up-" + i);
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(PHASE_SECONDS);
    List<Callable<String>> tasks = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      int me = c;
      tasks.add(() -> {
        Random r = new Random(me);
        int n = 0;
        while (System.nanoTime() < end) {
          Path e = d.resolve("e-" + me + "-" + (n % 50));
          if (Files.exists(e, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(e);
          } else {
            Files.writeString(e, "e");
          }
          // Lower names whited out and created again over their whiteout.
          Path churn = d.resolve("churn-" + (me * 7 + r.nextInt(6)));
          try {
            if (r.nextBoolean()) {
              Files.delete(churn);
            } else {
              Files.writeString(churn, "again", StandardOpenOption.CREATE_NEW);
            }
          } catch (NoSuchFileException | FileAlreadyExistsException expected) {
            // another thread got there first
          }
          n++;
        }
        return "changes " + n;
      });
    }
    for (int rd = 0; rd < 3; rd++) {
      tasks.add(() -> {
        int n = 0;
        while (System.nanoTime() < end) {
          List<String> names;
          try (Stream<Path> s = Files.list(d)) {
            names = s.map(p -> p.getFileName().toString()).toList();
          }
          Set<String> unique = new HashSet<>(names);
          assertEquals(names.size(), unique.size(), "no name listed twice: " + names);
          assertTrue(unique.containsAll(stable), "every stable name listed");
          for (String name : names) {
            assertTrue(stable.contains(name) || name.matches("(e-\\d-\\d+|churn-\\d+)"),
                "nothing foreign listed: " + name);
          }
          n++;
        }
        return "listings " + n;
      });
    }
    String pyLister = String.join("\n",
        "import os, sys, time",
        "d, secs = sys.argv[1], float(sys.argv[2])",
        "end = time.time() + secs",
        "n = 0",
        "while time.time() < end:",
        "    names = os.listdir(d)",
        "    assert len(names) == len(set(names)), names",
        "    assert all(('l1-%d' % i) in names and ('l2-%d' % i) in names for i in range(50))",
        "    n += 1",
        "print('ok', n)");
    try (PyWorker py = new PyWorker(pyLister, d.toString(), String.valueOf(PHASE_SECONDS))) {
      List<String> results = runAll(tasks, PHASE_SECONDS + 60);
      List<String> out = py.finish(60);
      assertTrue(out.size() == 1 && out.get(0).startsWith("ok"), "python lister: " + out);
      System.out.println("  readdir during churn: " + results + ", python " + out);
    }
    checkUpperIsKernelFormat();
  }

  @Test
  void createUnlinkStormInOneDirectory() throws Exception {
    int poolSize = 40;
    for (int i = 0; i < poolSize / 2; i++) {
      ReliabilitySupport.write(t.l1.resolve("storm/s" + i), ("lower s" + i).getBytes(), 0644);
    }
    mount();
    Path d = t.merged.resolve("storm");
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(PHASE_SECONDS);
    List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
    AtomicLong zeroReads = new AtomicLong();
    AtomicLong createEnoent = new AtomicLong();
    AtomicLong fstatEnoent = new AtomicLong();
    List<Callable<String>> tasks = new ArrayList<>();
    for (int c = 0; c < 6; c++) {
      int me = c;
      tasks.add(() -> {
        Random r = new Random(100 + me);
        int ops = 0;
        while (System.nanoTime() < end) {
          Path p = d.resolve("s" + r.nextInt(poolSize));
          int op = r.nextInt(4);
          try {
            switch (op) {
              case 0 -> Files.writeString(p, "t" + me + ":" + ops, StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE);
              case 1 -> Files.delete(p);
              case 2 -> {
                String got = Files.readString(p);
                if (got.indexOf('\0') >= 0) {
                  zeroReads.incrementAndGet();
                } else {
                  checkStormContent(got, true);
                }
              }
              default -> Files.move(p, d.resolve("s" + r.nextInt(poolSize)),
                  StandardCopyOption.REPLACE_EXISTING);
            }
          } catch (NoSuchFileException e) {
            if (op == 0) {
              createEnoent.incrementAndGet(); // O_CREAT|O_EXCL in an existing directory
            } // else: lost a race to another client, the errno is the right one
          } catch (FileAlreadyExistsException expected) {
            // lost a race to another client
          } catch (IOException e) {
            if (op == 2 && "No such file or directory".equals(e.getMessage())) {
              // readString's fstat of a file unlinked after it was opened: libfuse 2's known
              // limit (README "Mounting"); the data reads themselves go by handle.
              fstatEnoent.incrementAndGet();
            } else {
              unexpected.add(e.toString());
            }
          }
          ops++;
        }
        return "ops " + ops;
      });
    }
    List<Future<FuseTestSupport.Result>> shells = new ArrayList<>();
    for (int s = 0; s < 2; s++) {
      int me = s;
      shells.add(pool.submit(() -> FuseTestSupport.sh("cd '" + d + "' && end=$(( $(date +%s) + "
          + PHASE_SECONDS + " )); i=" + me + "; f=0; while [ $(date +%s) -lt $end ]; do"
          + " echo x 2>/dev/null > s$((i % " + poolSize + ")) || f=$((f + 1));"
          + " rm -f s$(((i + 7) % " + poolSize + ")); i=$((i + 1)); done; echo ok $i $f")));
    }
    List<String> results = runAll(tasks, PHASE_SECONDS + 60);
    int shellCreateFailures = 0;
    for (Future<FuseTestSupport.Result> f : shells) {
      FuseTestSupport.Result res = f.get(PHASE_SECONDS + 60, TimeUnit.SECONDS);
      String last = res.output().strip().lines().reduce((a, b) -> b).orElse("");
      assertTrue(res.status() == 0 && last.startsWith("ok"), "shell storm: " + res.output());
      results.add(last);
      shellCreateFailures += Integer.parseInt(last.split(" ")[2]);
    }
    System.out.println("  create/unlink storm: " + results + "; reads that returned NUL bytes"
        + " nobody wrote: " + zeroReads.get() + "; O_CREAT opens that failed with ENOENT: "
        + createEnoent.get() + " (O_EXCL, Java) + " + shellCreateFailures + " (sh >); fstat of"
        + " a file unlinked while open that failed with ENOENT: " + fstatEnoent.get());
    assertEquals(List.of(), unexpected, "only EEXIST and ENOENT from lost races");
    // O_CREAT|O_EXCL always reaches the server as a CREATE: it never fails with ENOENT. A plain
    // O_CREAT open of a name the kernel has cached reaches it as an OPEN of that path, which a
    // racing unlink or rename can take away first: ENOENT, where the kernel overlay opens the
    // old inode or creates anew (libfuse 2's path API, README "Mounting"; the inode-based FUSE
    // API would fix it). Counted above, not failed.
    assertEquals(0, createEnoent.get(), "O_CREAT|O_EXCL in an existing directory never fails"
        + " with ENOENT");
    for (String name : ReliabilitySupport.names(d)) {
      checkStormContent(Files.readString(d.resolve(name)), false);
    }
    assertEquals(0, zeroReads.get(), "a read racing with O_TRUNC + write returns a prefix of"
        + " what was written, never NUL bytes nobody wrote");
    sh("rm -f '" + d + "'/*");
    assertEquals(List.of(), ReliabilitySupport.names(d), "the storm directory is empty");
    for (String name : ReliabilitySupport.names(t.upper.resolve("storm"))) {
      int idx = Integer.parseInt(name.substring(1));
      Map<String, Object> a = Files.readAttributes(t.upper.resolve("storm/" + name),
          "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
      assertTrue(idx < poolSize / 2 && ((Integer) a.get("mode") & 0170000) == 0020000
          && (Long) a.get("rdev") == 0, "upper/storm holds only whiteouts of lower names: "
          + name);
    }
    checkUpperIsKernelFormat();
  }

  /**
   * A whole file of the storm, or (when racing with a writer) a prefix of one. {@code x\n:528}
   * is whole too: a Java client creates the file (O_EXCL, empty), a shell opens it with O_TRUNC
   * (nothing to cut), the Java client writes {@code t3:528} and the shell {@code x\n} at
   * offset 0 — two writers without coordination, as legal on the kernel overlay as on any
   * POSIX file system.
   */
  private static void checkStormContent(String s, boolean racing) {
    boolean whole = s.matches("lower s\\d+|t\\d:\\d+|x\\n|x\\n:\\d+");
    boolean prefix = racing && ("x\n".startsWith(s) || "lower s".startsWith(s)
        || s.matches("lower s\\d*|t\\d?|t\\d:\\d*|x\\n:\\d*"));
    assertTrue(whole || prefix, "an intact file: [" + s.replace("\0", "\\0") + "]");
  }

  private static FuseTestSupport.Result sh(String script) throws Exception {
    return FuseTestSupport.sh(script).ok();
  }
}
