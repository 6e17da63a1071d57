package io.overlay4j.bench.jmh;

import io.overlay4j.bench.jmh.Fixtures.Backend;
import io.overlay4j.bench.jmh.Fixtures.Stack;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayFile;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.WritableLayer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Small-file churn, per file: {@code create} makes {@value #FILES} new 4 KiB files in a
 * directory that exists in the lower layer (the first one copies the directory up);
 * {@code unlink} removes {@value #FILES} lower files (each leaves a whiteout). Each shot starts
 * from a fresh upper. Baselines: the same on a plain directory ({@code Files.newByteChannel} +
 * write + close; {@code Files.delete}) or, for memory, on the memory layer itself.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class CreateUnlinkBench {
  static final int FILES = 1000;
  private static final byte[] CONTENT = new byte[4096];

  @State(Scope.Benchmark)
  public static class OverlayState {
    @Param({"host", "memory"})
    public String backend;

    Stack stack;
    Overlay overlay;

    @Setup(Level.Trial)
    public void build() throws IOException {
      stack = new Stack(Backend.valueOf(backend), 1);
      WritableLayer l = stack.lowers.get(0);
      l.mkdir("new", 0755);
      l.mkdir("old", 0755);
      for (int i = 0; i < FILES; i++) {
        Fixtures.file(l, "old/f" + i, CONTENT);
      }
    }

    @Setup(Level.Iteration)
    public void fresh() throws IOException {
      stack.freshUpper();
      overlay = stack.overlay("");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      stack.close();
    }
  }

  /**
   * A plain directory (host) or memory layer, made anew before every shot (as the overlay's
   * upper is) with {@code old} holding the files to unlink.
   */
  @State(Scope.Benchmark)
  public static class RawState {
    @Param({"host", "memory"})
    public String backend;

    Stack stack;
    WritableLayer layer;
    Path root;

    @Setup(Level.Iteration)
    public void fresh() throws IOException {
      if (stack != null) {
        stack.close();
      }
      stack = new Stack(Backend.valueOf(backend), 1);
      layer = stack.lowers.get(0);
      root = backend.equals("host") ? stack.hostPath(layer) : null;
      layer.mkdir("new", 0755);
      layer.mkdir("old", 0755);
      for (int i = 0; i < FILES; i++) {
        Fixtures.file(layer, "old/f" + i, CONTENT);
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      stack.close();
    }
  }

  @Benchmark
  @OperationsPerInvocation(FILES)
  public void create(OverlayState s) throws IOException {
    for (int i = 0; i < FILES; i++) {
      try (OverlayFile f = s.overlay.create("/new/f" + i, 0644, -1, -1, true)) {
        f.write(ByteBuffer.wrap(CONTENT), 0);
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(FILES)
  public void unlink(OverlayState s) throws IOException {
    for (int i = 0; i < FILES; i++) {
      s.overlay.unlink("/old/f" + i);
    }
  }

  @Benchmark
  @OperationsPerInvocation(FILES)
  public void rawCreate(RawState s) throws IOException {
    String dir = "new";
    for (int i = 0; i < FILES; i++) {
      if (s.root != null) {
        try (SeekableByteChannel c = Files.newByteChannel(s.root.resolve(dir + "/f" + i),
            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          c.write(ByteBuffer.wrap(CONTENT));
        }
      } else {
        s.layer.createFile(dir + "/f" + i, 0644);
        try (LayerFile f = s.layer.open(dir + "/f" + i, true)) {
          f.write(ByteBuffer.wrap(CONTENT), 0);
        }
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(FILES)
  public void rawUnlink(RawState s) throws IOException {
    String dir = "old";
    for (int i = 0; i < FILES; i++) {
      if (s.root != null) {
        Files.delete(s.root.resolve(dir + "/f" + i));
      } else {
        s.layer.unlink(dir + "/f" + i);
      }
    }
  }
}
