package io.overlay4j.fuse;

import io.overlay4j.core.Overlay;
import io.overlay4j.core.config.OverlayConfig;
import io.overlay4j.core.config.OverlayConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code overlay4j mount -o lowerdir=..,upperdir=..,workdir=.. MERGED}: the option string of
 * {@code mount -t overlay}. Returns once the mount is live, leaving the server in the
 * background; {@code -f} serves in the foreground instead.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
    description = "Mount an overlay (same options as mount -t overlay).")
final class MountCommand implements Callable<Integer> {
  @Option(names = "-o", required = true, paramLabel = "OPTIONS",
      description = "lowerdir=A:B,upperdir=U,workdir=W and the other overlay options; "
          + "mount(8)'s generic flags are accepted too.")
  List<String> options = new ArrayList<>();

  @Option(names = "-f", description = "Serve in the foreground until unmounted.")
  boolean foreground;

  @Option(names = "-d", description = "Log every failed request (implies -f).")
  boolean debug;

  /*
   * single by default: in overlay-bench's end-to-end run on this 2-core machine (median of 5)
   * one request loop was as fast or faster than libfuse's thread pool on every workload but
   * unlink (walk-cold 5.5x vs 8.1x the kernel, untar 7.2x vs 17.9x, create 6.0x vs 7.4x):
   * jnr-fuse attaches each pool thread to the JVM per request.
   */
  @Option(names = "--threads", defaultValue = "single",
      description = "libfuse request loop: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Threads threads;

  // -Doverlay4j.mount.wait=N: the launcher gives emulated JVMs (--arch) longer to start.
  @Option(names = "--wait", defaultValue = "${sys:overlay4j.mount.wait:-30}",
      paramLabel = "SECONDS", description = "How long to wait for the mount to appear (default ${DEFAULT-VALUE}).")
  int waitSeconds;

  @Parameters(arity = "1..2", paramLabel = "[SOURCE] MERGED",
      description = "The mount point (mount(8) passes a source name first; it is ignored).")
  List<Path> paths;

  enum Threads { single, multi }

  @Override
  public Integer call() throws Exception {
    Path merged = paths.get(paths.size() - 1).toAbsolutePath().normalize();
    MountOptions opts = MountOptions.split(String.join(",", options));
    OverlayConfig config;
    try {
      config = OverlayConfig.parse(opts.overlay()).validate();
    } catch (OverlayConfigException e) {
      return error(e.getMessage());
    }
    config.warnings().forEach(w -> System.err.println("overlay4j: warning: " + w));
    if (MountTable.isMountPoint(merged)) {
      if (!MountTable.isDeadFuseMount(merged)) {
        return error(merged + " is already a mount point (busy); unmount it first");
      }
      // A server killed with -9 leaves its mount behind, answering nothing: take it down.
      MountTable.unmount(merged, true);
    }
    if (!Files.isDirectory(merged)) {
      return error("mount point " + merged + " does not exist or is not a directory");
    }
    if (!foreground && !debug) {
      return Daemon.startAndWait(merged, childArgs(merged), waitSeconds);
    }
    return serve(config, opts, merged);
  }

  private int serve(OverlayConfig config, MountOptions opts, Path merged) throws IOException {
    boolean root = "root".equals(System.getProperty("user.name"));
    Overlay overlay = Overlay.open(config);
    OverlayFuse fs = new OverlayFuse(overlay, root, debug);
    fs.mount(merged, true, debug, fuseArgs(opts.fuse(), config.readOnly(), root,
        threads == Threads.single).toArray(String[]::new));
    return 0;
  }

  /**
   * libfuse options: our identity, real inode numbers, kernel caching, and the caller's flags.
   *
   * <p>Every change of a name goes through this mount, so the kernel may keep names and
   * negative names for long; {@code auto_cache} keeps page cache across opens but drops it when
   * a file's size or mtime changed, so data written through one hard-linked name is what
   * another name reads. Attributes are cached for one second (libfuse's default): libfuse 2
   * gives each name its own kernel inode, so the attributes of a hard link's other names (and
   * of a directory whose child was copied up) may be up to a second stale; with no caching at
   * all every stat is a round trip (a stat storm measured 150x the kernel's time against ~0.5x
   * with caching). {@code -o attr_timeout=0} is the strict mode the differential tests use.
   * {@code atomic_o_trunc}: an open with O_TRUNC is one request, so no reader sees the file
   * between the truncation and the open.
   */
  static List<String> fuseArgs(List<String> extra, boolean readOnly, boolean root,
      boolean singleThreaded) {
    List<String> o = new ArrayList<>(List.of("fsname=overlay4j", "subtype=overlay4j", "use_ino",
        "readdir_ino", "hard_remove", "nonempty", "auto_cache", "atomic_o_trunc", "big_writes",
        "max_write=131072", "max_read=131072", "entry_timeout=3600", "attr_timeout=1",
        "negative_timeout=3600"));
    if (root) {
      // Other users get the kernel's permission checks against the modes we report.
      o.add("allow_other");
      o.add("default_permissions");
    }
    if (readOnly) {
      o.add("ro");
    }
    o.addAll(extra); // after ours: libfuse takes the last value of an option
    List<String> args = new ArrayList<>(List.of("-o", String.join(",", o)));
    if (singleThreaded) {
      args.add("-s");
    }
    return args;
  }

  private List<String> childArgs(Path merged) {
    List<String> a = new ArrayList<>(List.of("mount", "-f", "--threads", threads.name()));
    for (String o : options) {
      a.add("-o");
      a.add(o);
    }
    a.add(merged.toString());
    return a;
  }

  static int error(String message) {
    System.err.println("overlay4j: " + message);
    return 2;
  }

  /** Waits up to {@code seconds} for a condition, polling. */
  static boolean await(java.util.function.BooleanSupplier done, long seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (done.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return done.getAsBoolean();
  }
}
