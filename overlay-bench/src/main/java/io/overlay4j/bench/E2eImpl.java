package io.overlay4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One implementation under test, with its own mount point and (for overlays) its own upper and
 * work directories over the shared read-only lowers.
 */
abstract class E2eImpl {
  final String name;
  final Path dir;
  final Path merged;

  E2eImpl(String name, Path runDir) {
    this.name = name;
    this.dir = runDir.resolve(name);
    this.merged = dir.resolve("merged");
  }

  /** Makes a fresh upper/work (or plain tree); called once before the first mount. */
  abstract void prepare(E2eLayers layers) throws IOException;

  abstract void mount() throws IOException;

  abstract void umount();

  /** The mount table's line for the mount point (what the kernel made of the options). */
  String mountLine() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
        String[] f = line.split(" ");
        if (f.length > 1 && f[1].equals(merged.toString())) {
          return line;
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  boolean mounted() {
    return mountLine() != null;
  }

  /** The server's own counters after the run, where the implementation has a way to ask. */
  Optional<Object> serverCounters() {
    return Optional.empty();
  }

  String options(E2eLayers layers) {
    return "lowerdir=" + layers.app + ":" + layers.base + ",upperdir=" + dir.resolve("upper")
        + ",workdir=" + dir.resolve("work");
  }

  void freshUpper() throws IOException {
    Sh.bash("rm -rf " + Sh.q(dir) + " && mkdir -p " + Sh.q(dir.resolve("upper")) + " "
        + Sh.q(dir.resolve("work")) + " " + Sh.q(merged));
  }

  static void umountPath(Path p) {
    Sh.Result r = Sh.run(List.of("umount", p.toString()));
    if (!r.ok()) {
      // Busy (a straggling reader): detach it, so the run can go on and nothing is left.
      Sh.run(List.of("umount", "-l", p.toString()));
    }
  }

  /** The plain filesystem: the merged tree copied to an ordinary directory. */
  static final class Plain extends E2eImpl {
    Plain(Path runDir) {
      super("plain", runDir);
    }

    @Override
    void prepare(E2eLayers layers) {
      layers.copyMergedTo(merged);
    }

    @Override
    void mount() {}

    @Override
    void umount() {}

    @Override
    boolean mounted() {
      return true;
    }

    @Override
    String mountLine() {
      return null;
    }
  }

  /** The kernel's overlayfs. */
  static final class Kernel extends E2eImpl {
    private E2eLayers layers;

    Kernel(Path runDir) {
      super("kernel", runDir);
    }

    @Override
    void prepare(E2eLayers layers) throws IOException {
      this.layers = layers;
      freshUpper();
    }

    @Override
    void mount() {
      Sh.out("mount", "-t", "overlay", "overlay", "-o", options(layers), merged.toString());
    }

    @Override
    void umount() {
      umountPath(merged);
    }
  }

  /** fuse-overlayfs, the C userspace overlay (Debian package). */
  static final class FuseOverlayfs extends E2eImpl {
    private E2eLayers layers;

    FuseOverlayfs(Path runDir) {
      super("fuse-overlayfs", runDir);
    }

    @Override
    void prepare(E2eLayers layers) throws IOException {
      this.layers = layers;
      freshUpper();
    }

    @Override
    void mount() throws IOException {
      Sh.out("fuse-overlayfs", "-o", options(layers), merged.toString());
      awaitMounted(this);
    }

    @Override
    void umount() {
      umountPath(merged);
    }
  }

  /**
   * overlay4j's FUSE mount, with libfuse's single- or multi-threaded loop; the {@code volatile}
   * variant is the single-threaded loop mounted with {@code -o volatile} (no syncs, as
   * fuse-overlayfs never syncs), to compare copy-up at equal durability.
   */
  static final class Overlay4j extends E2eImpl {
    private static final Pattern PID = Pattern.compile("server pid (\\d+)");
    private final Path jar;
    private final String threads;
    private final boolean volatileMode;
    private E2eLayers layers;
    private long serverPid = -1;
    final List<String> logs = new ArrayList<>();
    /** Each server's counters, read just before it is unmounted. */
    private final ServerCounters counters = new ServerCounters();
    /** Whether the live server's counters are already in {@link #counters}. */
    private boolean counted;

    Overlay4j(Path runDir, Path jar, String variant) {
      super("overlay4j-" + variant, runDir);
      this.jar = jar;
      this.volatileMode = variant.equals("volatile");
      this.threads = volatileMode ? "single" : variant;
    }

    @Override
    String options(E2eLayers layers) {
      return super.options(layers) + (volatileMode ? ",volatile" : "");
    }

    @Override
    void prepare(E2eLayers layers) throws IOException {
      this.layers = layers;
      freshUpper();
    }

    @Override
    void mount() throws IOException {
      if (volatileMode) {
        // The previous mount was unmounted cleanly by this run: what a user does then, as with
        // the kernel's volatile mounts, is remove the marker that refuses a remount.
        Sh.bash("sync && rm -rf " + Sh.q(dir.resolve("work/work/incompat/volatile")));
      }
      List<String> cmd = new ArrayList<>(List.of(javaBin()));
      if (MachineInfo.emulated()) {
        cmd.add("-Doverlay4j.mount.wait=120"); // an emulated JVM takes 5-20 s to mount
      }
      cmd.addAll(List.of("-jar", jar.toString(), "mount", "--threads", threads, "-o",
          options(layers), merged.toString()));
      Sh.Result r = Sh.run(cmd, MachineInfo.emulated() ? 180 : 120);
      if (!r.ok()) {
        throw new IOException("overlay4j mount failed: " + r.err().strip());
      }
      Matcher m = PID.matcher(r.err());
      serverPid = m.find() ? Long.parseLong(m.group(1)) : -1;
      Matcher log = Pattern.compile("log (\\S+)\\)").matcher(r.err());
      if (log.find() && !logs.contains(log.group(1))) {
        logs.add(log.group(1));
      }
      awaitMounted(this);
      if (server == null) {
        server = stats().map(s -> s.get("server")).orElse(null);
      }
    }

    /** The serving JVM as the server reports it (architecture, JDK), from its first mount. */
    Object server;

    @Override
    void umount() {
      if (mounted() && !counted) {
        counters.add(merged);
      }
      counted = false;
      umountPath(merged);
      // Wait for the server JVM to finish, so its exit does not overlap the next measurement.
      if (serverPid > 0) {
        ProcessHandle.of(serverPid).ifPresent(h -> {
          try {
            h.onExit().get(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            System.err.println("bench: overlay4j server " + serverPid + " still running");
          }
        });
      }
      serverPid = -1;
    }

    /** The servers' counters summed over every mount of the run ({@code overlay4j stats}). */
    @Override
    Optional<Object> serverCounters() {
      if (mounted() && !counted) { // the live server's counters, counted once
        counters.add(merged);
        counted = true;
      }
      return counters.total();
    }

    /** The live server's stats ({@code overlay4j stats}), if it answers. */
    private Optional<com.fasterxml.jackson.databind.JsonNode> stats() {
      return mounted() ? ServerCounters.read(merged) : Optional.empty();
    }

    /**
     * The java the servers run on: {@code -Doverlay4j.bench.serverJava} ({@code --arch}: an
     * arm64 JDK under qemu-user), else this JVM's.
     */
    static String javaBin() {
      String j = System.getProperty("overlay4j.bench.serverJava", "");
      return j.isEmpty() ? Path.of(System.getProperty("java.home"), "bin", "java").toString() : j;
    }
  }
  static void awaitMounted(E2eImpl impl) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!impl.mounted()) {
      if (System.nanoTime() > deadline) {
        throw new IOException(impl.name + ": mount did not appear at " + impl.merged);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
  }
}
