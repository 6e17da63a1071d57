package io.overlay4j.bench.jmh;

import io.overlay4j.bench.jmh.Fixtures.Backend;
import io.overlay4j.bench.jmh.Fixtures.Stack;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.layer.MemoryLayer;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Overlay#readdir} of a merged directory of {@code entries} visible names over
 * {@code lowers} lower layers: names spread round-robin over the lowers, 10% of them also in
 * the layer above (shadowed copies), and 5% more names in the lowest layer hidden by whiteouts
 * in upper. Baselines: listing a plain directory of the same number of entries, names only
 * ({@code rawList}) and names plus an lstat of each ({@code rawListStat}, what a merged listing
 * with types and inode numbers has to learn); for memory layers, {@code MemoryLayer.list}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class ReaddirBench {
  private static final String DIR = "d";

  @State(Scope.Benchmark)
  public static class OverlayState {
    @Param({"10", "1000", "100000"})
    public int entries;

    @Param({"1", "4"})
    public int lowers;

    @Param({"host", "memory"})
    public String backend;

    /**
     * on: the listing cache answers (one shared list, built once); off ({@code lookup_cache=0}):
     * every readdir builds the merged listing again, which is what compares with the raw ones.
     */
    @Param({"on", "off"})
    public String cache;

    Stack stack;
    Overlay overlay;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      stack = new Stack(Backend.valueOf(backend), lowers);
      for (WritableLayer l : stack.lowers) {
        l.mkdir(DIR, 0755);
      }
      stack.upper.mkdir(DIR, 0755);
      for (int i = 0; i < entries; i++) {
        int layer = i % lowers;
        Fixtures.file(stack.lowers.get(layer), DIR + "/e" + i, new byte[0]);
        if (i % 10 == 0 && layer > 0) {
          Fixtures.file(stack.lowers.get(layer - 1), DIR + "/e" + i, new byte[0]);
        }
      }
      int hidden = Math.max(1, entries / 20);
      for (int i = 0; i < hidden; i++) {
        Fixtures.file(stack.lowers.get(lowers - 1), DIR + "/h" + i, new byte[0]);
        Fixtures.whiteout(stack.upper, DIR + "/h" + i);
      }
      overlay = stack.overlay(cache.equals("on") ? "" : "lookup_cache=0");
      int n = overlay.readdir("/" + DIR).size();
      if (n != entries) {
        throw new IllegalStateException("merged listing has " + n + " entries, not " + entries);
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      stack.close();
    }
  }

  /** A plain directory (host) or memory layer directory with the same number of entries. */
  @State(Scope.Benchmark)
  public static class RawState {
    @Param({"10", "1000", "100000"})
    public int entries;

    @Param({"host", "memory"})
    public String backend;

    Stack stack;
    Path dir;
    MemoryLayer memory;
    final OsAccess os = OsAccess.system();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      stack = new Stack(Backend.valueOf(backend), 1);
      WritableLayer l = stack.lowers.get(0);
      l.mkdir(DIR, 0755);
      for (int i = 0; i < entries; i++) {
        Fixtures.file(l, DIR + "/e" + i, new byte[0]);
      }
      if (stack.backend == Backend.host) {
        dir = stack.hostPath(l).resolve(DIR);
      } else {
        memory = (MemoryLayer) l;
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      stack.close();
    }
  }

  @Benchmark
  public int readdir(OverlayState s) throws IOException {
    return s.overlay.readdir("/" + DIR).size();
  }

  @Benchmark
  public int rawList(RawState s) throws IOException {
    if (s.memory != null) {
      return s.memory.list(DIR).size();
    }
    int n = 0;
    try (DirectoryStream<Path> d = Files.newDirectoryStream(s.dir)) {
      for (Path ignored : d) {
        n++;
      }
    }
    return n;
  }

  @Benchmark
  public long rawListStat(RawState s) throws IOException {
    long sum = 0;
    if (s.memory != null) {
      for (String name : s.memory.list(DIR)) {
        sum += s.memory.stat(DIR + "/" + name).ino();
      }
      return sum;
    }
    try (DirectoryStream<Path> d = Files.newDirectoryStream(s.dir)) {
      for (Path p : d) {
        sum += s.os.lstat(p).ino();
      }
    }
    return sum;
  }
}
