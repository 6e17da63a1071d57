package io.overlay4j.bench.jmh;

import io.overlay4j.bench.jmh.Fixtures.Backend;
import io.overlay4j.bench.jmh.Fixtures.Stack;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.format.OverlayXattrs;
import io.overlay4j.core.layer.LayerStack;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.lookup.Lookup;
import io.overlay4j.core.lookup.LookupCache;
import io.overlay4j.core.lookup.MergedEntry;
import io.overlay4j.core.lookup.PathResolver;
import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link Overlay#getattr} of one path, against the raw lookup of the same object on the layer
 * that holds it (host: {@code Files.readAttributes(p, "unix:*", NOFOLLOW_LINKS)} and
 * {@code OsAccess.system().lstat(p)}; memory: {@code MemoryLayer.stat}). Overhead = ratio.
 *
 * <p>Cases ({@code lookup}): {@code upper} a hit in upper (4 lowers below); {@code lowestN} a
 * hit in the lowest of N lower layers, every directory on the way merged across all of them;
 * {@code _d8} the same at path depth 8 instead of 1; {@code miss4} a name in no layer;
 * {@code whiteout4} a lowest-layer name hidden by a whiteout in upper; {@code opaque4} a name
 * inside a directory that is opaque in the topmost lower (the 3 below are never read).
 * Settings: see {@link io.overlay4j.bench.JmhBench} (the annotations are the defaults for a
 * direct {@code java -jar benchmarks.jar} run).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class LookupBench {
  /** Files beside the target in every directory of every layer, so directories are not trivial. */
  private static final int FILLER = 32;

  /** Where one case's object is: the stack, the merged path and the physical copy. */
  static final class Fixture {
    final Stack stack;
    final String mergedPath;
    final WritableLayer holder;
    final String layerPath;

    Fixture(Stack stack, String mergedPath, WritableLayer holder, String layerPath) {
      this.stack = stack;
      this.mergedPath = mergedPath;
      this.holder = holder;
      this.layerPath = layerPath;
    }

    Path hostPath() {
      return stack.hostPath(holder).resolve(layerPath);
    }

    static Fixture build(String lookup, Backend backend) throws IOException {
      int lowers = lookup.equals("lowest1") ? 1 : lookup.startsWith("lowest16") ? 16 : 4;
      int depth = lookup.endsWith("_d8") ? 8 : 1;
      StringBuilder dir = new StringBuilder();
      for (int i = 1; i < depth; i++) {
        dir.append(dir.length() == 0 ? "" : "/").append("d").append(i);
      }
      String d = dir.toString();
      String target = (d.isEmpty() ? "" : d + "/") + "target";
      Stack s = new Stack(backend, lowers);
      byte[] content = new byte[100];
      // Every layer has the directory chain and filler: every directory is merged.
      for (WritableLayer l : layers(s)) {
        Fixtures.mkdirs(l, d);
        for (int i = 0; i < FILLER; i++) {
          Fixtures.file(l, (d.isEmpty() ? "" : d + "/") + "filler" + i,
              content);
        }
      }
      WritableLayer lowest = s.lowers.get(lowers - 1);
      switch (lookup) {
        case "upper" -> {
          Fixtures.file(s.upper, target, content);
          return new Fixture(s, "/" + target, s.upper, target);
        }
        case "miss4" -> {
          return new Fixture(s, "/" + target, s.upper, target);
        }
        case "whiteout4" -> {
          Fixtures.file(lowest, target, content);
          Fixtures.whiteout(s.upper, target);
          return new Fixture(s, "/" + target, s.upper, target);
        }
        case "opaque4" -> {
          for (WritableLayer l : s.lowers) {
            Fixtures.mkdirs(l, "o");
            Fixtures.file(l, "o/target", content);
          }
          Fixtures.opaque(s.lowers.get(0), "o");
          return new Fixture(s, "/o/target", s.lowers.get(0), "o/target");
        }
        default -> {
          if (!lookup.startsWith("lowest")) {
            throw new IllegalArgumentException(lookup);
          }
          Fixtures.file(lowest, target, content);
          return new Fixture(s, "/" + target, lowest, target);
        }
      }
    }

    private static java.util.List<WritableLayer> layers(Stack s) {
      java.util.List<WritableLayer> all = new java.util.ArrayList<>(s.lowers);
      all.add(s.upper);
      return all;
    }
  }

  /** The overlay over a case's stack. Shared by all benchmark threads (one overlay, one cache). */
  @State(Scope.Benchmark)
  public static class OverlayState {
    @Param({"upper", "lowest1", "lowest4", "lowest16", "lowest4_d8", "miss4", "whiteout4",
        "opaque4"})
    public String lookup;

    @Param({"host", "memory"})
    public String backend;

    @Param({"on", "off"})
    public String cache;

    Fixture fixture;
    Overlay overlay;
    String path;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      fixture = Fixture.build(lookup, Backend.valueOf(backend));
      overlay = fixture.stack.overlay(cache.equals("on") ? "" : "lookup_cache=0");
      path = fixture.mergedPath;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      fixture.stack.close();
    }
  }

  /** The physical object on the host (host backend only). */
  @State(Scope.Benchmark)
  public static class HostState {
    @Param({"upper", "lowest1", "lowest4", "lowest16", "lowest4_d8", "miss4", "whiteout4",
        "opaque4"})
    public String lookup;

    Fixture fixture;
    Path path;
    final OsAccess os = OsAccess.system();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      fixture = Fixture.build(lookup, Backend.host);
      path = fixture.hostPath();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      fixture.stack.close();
    }
  }

  /** The object in its memory layer. */
  @State(Scope.Benchmark)
  public static class MemoryState {
    @Param({"upper", "lowest1", "lowest4", "lowest16", "lowest4_d8", "miss4", "whiteout4",
        "opaque4"})
    public String lookup;

    Fixture fixture;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      fixture = Fixture.build(lookup, Backend.memory);
    }
  }

  /**
   * An uncached lookup of the last name alone, its directory already resolved (what a kernel
   * lookup is: the dcache holds the parent): {@code Lookup.child} with no cache, against
   * {@link #rawOsLstatEachLayer}, the lstat of the same name in each layer that holds a copy of
   * the directory. Host backend.
   */
  @State(Scope.Benchmark)
  public static class ChildState {
    @Param({"upper", "lowest1", "lowest4", "lowest16", "lowest4_d8", "miss4", "whiteout4",
        "opaque4"})
    public String lookup;

    Fixture fixture;
    Lookup uncached;
    MergedEntry parent;
    String name;
    Path[] eachLayer;
    final OsAccess os = OsAccess.system();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      fixture = Fixture.build(lookup, Backend.host);
      Stack st = fixture.stack;
      LayerStack layers = new LayerStack(st.upper, st.work, st.lowers, java.util.List.of());
      Lookup cached = new Lookup(layers, OverlayXattrs.TRUSTED, false, true, false,
          new LookupCache(1024));
      String path = fixture.mergedPath;
      int slash = path.lastIndexOf('/');
      parent = new PathResolver(cached).resolve(slash == 0 ? "/" : path.substring(0, slash),
          false).require();
      name = path.substring(slash + 1);
      uncached = new Lookup(layers, OverlayXattrs.TRUSTED, false, true, false,
          new LookupCache(0));
      java.util.List<Path> paths = new java.util.ArrayList<>();
      for (MergedEntry.Copy c : parent.copies()) {
        paths.add(st.hostPath((WritableLayer) layers.get(c.layer()))
            .resolve(c.path().isEmpty() ? name : c.path() + "/" + name));
      }
      eachLayer = paths.toArray(new Path[0]);
      if (!uncached.child(parent, name).toString().equals(cached.child(parent, name).toString())) {
        throw new IllegalStateException("uncached and cached lookups differ");
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      fixture.stack.close();
    }
  }

  /**
   * Path resolution alone ({@link Overlay#exists}): with the cache on, a cached lookup hit;
   * with it off, an uncached lookup of every component (the root merged across all layers,
   * then the name). No attributes are read; {@link #getattr} adds the one statx that gives
   * fresh attributes.
   */
  @Benchmark
  public boolean lookup(OverlayState s) throws IOException {
    return s.overlay.exists(s.path);
  }

  /** One uncached lookup of a name in its (resolved) directory across the layers. */
  @Benchmark
  public Object lookupChildUncached(ChildState s) throws IOException {
    return s.uncached.child(s.parent, s.name);
  }

  /** Baseline: lstat of the name in each layer holding a copy of its directory. */
  @Benchmark
  public void rawOsLstatEachLayer(ChildState s, Blackhole bh) throws IOException {
    for (Path p : s.eachLayer) {
      bh.consume(s.os.lstat(p));
    }
  }

  /** The overlay's lstat; a miss costs what overlay4j makes it cost (an exception). */
  @Benchmark
  public Object getattr(OverlayState s) throws IOException {
    try {
      return s.overlay.getattr(s.path);
    } catch (OverlayException e) {
      return e;
    }
  }

  /** Baseline: the JDK's lstat with every unix attribute (what a Java program would call). */
  @Benchmark
  public Object rawNioLstat(HostState s) throws IOException {
    try {
      return Files.readAttributes(s.path, "unix:*", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return e;
    }
  }

  /** Baseline: overlay-core's own lstat (glibc through jnr-ffi), as the host layers use it. */
  @Benchmark
  public Object rawOsLstat(HostState s) throws IOException {
    return s.os.lstat(s.path);
  }

  /** Baseline for the memory backend: the layer's own stat of the object. */
  @Benchmark
  public Object rawMemoryStat(MemoryState s) throws IOException {
    return s.fixture.holder.stat(s.fixture.layerPath);
  }
}
