package io.overlay4j.bench.jmh;

import io.overlay4j.bench.jmh.Fixtures.Backend;
import io.overlay4j.bench.jmh.Fixtures.Stack;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayFile;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.os.CopyMethod;
import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
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
 * Copy-up of lower files of {@code size} bytes on host layers (java.io.tmpdir), each shot on a
 * fresh upper (single shot; the new upper and overlay are made untimed). A shot copies
 * {@link #filesPerShot} files (200 of 4 KiB, 64 of 1 MiB, one of 64 MiB or more), so the small
 * sizes run often enough to be compiled and to rise above timer noise; the JSON summary divides
 * by it (per file), the ratios need no division.
 * {@code copyUpOpenWrite} is the full copy-up that open-for-write does; {@code
 * copyUpChmodMetacopy} is chmod under {@code metacopy=on} (metadata only, no data). With
 * {@code sync=fsync} the copy is fsynced as the kernel does; {@code sync=volatile} mounts with
 * the {@code volatile} option. Beside them, in the same run, the physical limit: a plain copy of
 * the same file on the same filesystem with {@code OsAccess.copyFileData} (reflink /
 * copy_file_range / read-write, what copy-up itself uses) and with {@code Files.copy} (plus
 * {@code force} for fsync). The lower file is in the page cache after the first shot.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class CopyUpBench {
  private static final String FILE = "f";

  /** How many files one shot copies: 64 MiB worth, at least 1, at most 200. */
  public static int filesPerShot(String size) {
    return (int) Math.max(1, Math.min(200, (64L << 20) / bytes(size)));
  }

  static long bytes(String size) {
    String s = size.toLowerCase();
    long unit = s.endsWith("k") ? 1 << 10 : s.endsWith("m") ? 1 << 20 : 1;
    return Long.parseLong(s.replaceAll("[km]$", "")) * unit;
  }

  /** A host stack whose one lower layer holds {@code f0, f1, ...} of the given size. */
  static Stack lowerWithFiles(String size) throws IOException {
    Stack s = new Stack(Backend.host, 1);
    WritableLayer l = s.lowers.get(0);
    SplittableRandom rnd = new SplittableRandom(1);
    byte[] buf = new byte[1 << 20];
    long total = bytes(size);
    for (int i = 0; i < filesPerShot(size); i++) {
      l.createFile(FILE + i, 0644);
      try (LayerFile f = l.open(FILE + i, true)) {
        for (long pos = 0; pos < total; ) {
          rnd.nextBytes(buf);
          ByteBuffer b = ByteBuffer.wrap(buf, 0, (int) Math.min(buf.length, total - pos));
          while (b.hasRemaining()) {
            pos += f.write(b, pos);
          }
        }
      }
    }
    return s;
  }

  @State(Scope.Benchmark)
  public static class OverlayState {
    @Param({"4k", "1m", "64m", "256m"})
    public String size;

    @Param({"fsync", "volatile"})
    public String sync;

    Stack stack;
    Overlay overlay;
    int files;

    @Setup(Level.Trial)
    public void build() throws IOException {
      stack = lowerWithFiles(size);
      files = filesPerShot(size);
    }

    /** Called with the extra options of the benchmark (metacopy=on or none). */
    void fresh(String options) throws IOException {
      stack.freshUpper();
      String o = sync.equals("volatile") ? "volatile" : "";
      if (!options.isEmpty()) {
        o = o.isEmpty() ? options : o + "," + options;
      }
      overlay = stack.overlay(o);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      stack.close();
    }
  }

  /** Full copy-up: a fresh upper and overlay before every shot. */
  @State(Scope.Benchmark)
  public static class FullState extends OverlayState {
    @Setup(Level.Iteration)
    public void fresh() throws IOException {
      fresh("");
    }
  }

  /** metacopy=on: a fresh upper and overlay before every shot. */
  @State(Scope.Benchmark)
  public static class MetaState extends OverlayState {
    @Setup(Level.Iteration)
    public void fresh() throws IOException {
      fresh("metacopy=on");
    }
  }

  /** A plain copy of the same lower file to a new file on the same filesystem. */
  @State(Scope.Benchmark)
  public static class RawState {
    @Param({"4k", "1m", "64m", "256m"})
    public String size;

    @Param({"fsync", "volatile"})
    public String sync;

    Stack stack;
    Path[] src;
    Path[] dst;
    final OsAccess os = OsAccess.system();
    CopyMethod method;

    @Setup(Level.Trial)
    public void build() throws IOException {
      stack = lowerWithFiles(size);
      int n = filesPerShot(size);
      src = new Path[n];
      dst = new Path[n];
      Files.createDirectories(stack.root.resolve("copy"));
      for (int i = 0; i < n; i++) {
        src[i] = stack.hostPath(stack.lowers.get(0)).resolve(FILE + i);
        dst[i] = stack.root.resolve("copy/" + FILE + i);
      }
    }

    @Setup(Level.Iteration)
    public void fresh() throws IOException {
      for (Path d : dst) {
        Files.deleteIfExists(d); // copyFileData creates its target (O_EXCL), as copy-up does
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (method != null) {
        System.out.println("\ncopyFileData used " + method);
      }
      stack.close();
    }
  }

  @Benchmark
  public void copyUpOpenWrite(FullState s) throws IOException {
    for (int i = 0; i < s.files; i++) {
      try (OverlayFile f = s.overlay.open("/" + FILE + i, true, false)) {
        if (!f.writable()) {
          throw new IllegalStateException();
        }
      }
    }
  }

  @Benchmark
  public void copyUpChmodMetacopy(MetaState s) throws IOException {
    for (int i = 0; i < s.files; i++) {
      s.overlay.chmod("/" + FILE + i, 0600);
    }
  }

  @Benchmark
  public void rawCopyFileData(RawState s) throws IOException {
    boolean fsync = s.sync.equals("fsync");
    for (int i = 0; i < s.src.length; i++) {
      s.method = s.os.copyFileData(s.src[i], s.dst[i], fsync);
    }
  }

  @Benchmark
  public void rawFilesCopy(RawState s) throws IOException {
    for (int i = 0; i < s.src.length; i++) {
      Files.deleteIfExists(s.dst[i]); // absent after the setup; Files.copy wants it absent
      Files.copy(s.src[i], s.dst[i]);
      if (s.sync.equals("fsync")) {
        try (FileChannel c = FileChannel.open(s.dst[i], StandardOpenOption.WRITE)) {
          c.force(true);
        }
      }
    }
  }
}
