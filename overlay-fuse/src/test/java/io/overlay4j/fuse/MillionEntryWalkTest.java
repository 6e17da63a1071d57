package io.overlay4j.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.overlay4j.fuse.ReliabilitySupport.Server;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A walk (readdir + lstat of every entry) of a 1,000,000-entry tree through the mount, with
 * the server's heap capped at 256 MiB: it completes, sees every entry, and the lookup cache
 * stays within its bound. The tree is 1,000 directories of 1,000 empty files: the first half
 * in the upper lower layer, the second half in the lower one, and every tenth directory in both
 * (merged, names split between the two). The server's heap is sampled with {@code jcmd
 * GC.heap_info} during the walk (peak "used", not after a forced GC) and printed with the time.
 *
 * <p>Tagged "soak" (out of the default run: it takes minutes). Run it with
 * {@code mvn -pl overlay-core,overlay-fuse test -Psoak -Dtest=MillionEntryWalkTest
 * -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dwalk.entries=N} for a smaller tree.
 */
@Tag("soak")
class MillionEntryWalkTest {
  private static final int ENTRIES = Integer.getInteger("walk.entries", 1_000_000);
  private static final int PER_DIR = 1000;

  TestMount t;
  Server server;

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close();
    }
    if (t != null) {
      t.close();
    }
  }

  @Test
  void walksAMillionEntriesInA256MiBHeap() throws Exception {
    FuseTestSupport.assumeFuseMounts();
    t = new TestMount();
    int dirs = ENTRIES / PER_DIR;
    long t0 = System.nanoTime();
    for (int d = 0; d < dirs; d++) {
      boolean merged = d % 10 == 0;
      Path top = Files.createDirectories(t.l1.resolve("d" + d));
      Path bottom = Files.createDirectories(t.l2.resolve("d" + d));
      for (int i = 0; i < PER_DIR; i++) {
        Path where = merged ? (i % 2 == 0 ? top : bottom) : d < dirs / 2 ? top : bottom;
        Files.createFile(where.resolve("f" + i));
      }
    }
    System.out.printf("  built %d entries in %.1f s%n", ENTRIES, (System.nanoTime() - t0) / 1e9);

    server = Server.start(t.options(), t.merged, t.root.resolve("server.log"),
        List.of("-Xmx256m"));
    long pid = server.pid();
    AtomicLong peakHeapKiB = new AtomicLong();
    AtomicBoolean walking = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (walking.get()) {
        long used = heapUsedKiB(pid);
        peakHeapKiB.accumulateAndGet(used, Math::max);
        try {
          Thread.sleep(2000);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.start();
    AtomicLong files = new AtomicLong();
    AtomicLong directories = new AtomicLong();
    long w0 = System.nanoTime();
    try {
      Files.walkFileTree(t.merged, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          directories.incrementAndGet();
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          files.incrementAndGet();
          return FileVisitResult.CONTINUE;
        }
      });
    } finally {
      walking.set(false);
      sampler.join();
    }
    double seconds = (System.nanoTime() - w0) / 1e9;
    peakHeapKiB.accumulateAndGet(heapUsedKiB(pid), Math::max);
    JsonNode core = stats().get("core");
    System.out.printf("  walked %d files and %d directories in %.1f s; server heap peak %d KiB"
        + " (-Xmx256m); lookup cache %d of %d entries; %s%n", files.get(), directories.get(),
        seconds, peakHeapKiB.get(), core.get("cacheSize").asLong(),
        core.get("cacheCapacity").asLong(), core);
    assertEquals(ENTRIES, files.get());
    assertEquals(dirs + 1, directories.get());
    assertTrue(server.process.isAlive(), "the server survived");
    assertTrue(core.get("cacheSize").asLong() <= core.get("cacheCapacity").asLong(),
        "the lookup cache within its bound: " + core);
    assertTrue(peakHeapKiB.get() <= 256 * 1024, "heap within -Xmx256m");
    server.unmount();
    server = null;
  }

  /** "used" of the server's heap as jcmd GC.heap_info shows it (KiB), 0 if jcmd fails. */
  private static long heapUsedKiB(long pid) {
    try {
      Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
      FuseTestSupport.Result info = FuseTestSupport.run(List.of(
          Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", String.valueOf(pid),
          "GC.heap_info"));
      Matcher m = Pattern.compile("used (\\d+)K").matcher(info.output());
      return m.find() ? Long.parseLong(m.group(1)) : 0;
    } catch (Exception e) {
      return 0;
    }
  }

  private JsonNode stats() throws IOException {
    return FuseTestSupport.stats(t.merged);
  }
}
