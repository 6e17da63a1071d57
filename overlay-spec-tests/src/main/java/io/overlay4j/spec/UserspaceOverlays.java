package io.overlay4j.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Userspace overlays as {@link MountedTree.MountCommand}s: overlay4j's FUSE mount through its own
 * command ({@code java -cp CLASSPATH io.overlay4j.fuse.Main mount -o OPTS MERGED}, which returns
 * once the mount is live) and fuse-overlayfs (the Debian package), each with the reason it cannot
 * run here when it cannot.
 *
 * <p>overlay4j's command is found on this JVM's class path: a test that mounts it must have
 * overlay-fuse on its class path (overlay-spec-tests has it as a test dependency).
 */
public final class UserspaceOverlays {
  /** The main class of the overlay4j command. */
  public static final String OVERLAY4J_MAIN = "io.overlay4j.fuse.Main";

  /** fuse-overlayfs's usual calling form; it detaches once the mount is live. */
  public static final MountedTree.MountCommand FUSE_OVERLAYFS = new MountedTree.MountCommand(
      "fuse-overlayfs", "fuse-overlayfs -o \"$OPTS\" \"$M\"");


  private static volatile Optional<String> overlay4jUnavailable;
  private static volatile Optional<String> fuseOverlayfsUnavailable;

  private UserspaceOverlays() {}

  /**
   * overlay4j's command with this JVM's java and class path: {@code overlay4j mount -f} (serve in
   * the foreground) started in the background, then a wait until the mount point is live — the
   * same as {@code overlay4j mount} without {@code -f}, minus the launcher JVM it starts first,
   * which halves the time a mount takes. The server's output goes to a log that is shown if the
   * mount never appears. The server JVM gets the flags that start it fastest (C1 only, serial
   * GC): the tests mount it dozens of times and never for long.
   */
  public static MountedTree.MountCommand overlay4j() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("java.class.path");
    return new MountedTree.MountCommand("overlay4j", ""
        + "log=$(mktemp /tmp/overlay4j-server-XXXXXX.log)\n"
        + Shell.quote(java) + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp " + Shell.quote(cp)
        // attr_timeout=0: the strict mode, where no cached attribute of another hard-link name
        // can differ from the kernel's answer (the default caches them for a second).
        + " " + OVERLAY4J_MAIN + " mount -f -o \"$OPTS\" -o attr_timeout=0 \"$M\" >\"$log\""
        + " 2>&1 &\n"
        + "server=$!\n"
        + "waited=0\n"
        + "until mountpoint -q \"$M\"; do\n"
        + "  if ! kill -0 \"$server\" 2>/dev/null || [ \"$waited\" -ge 1500 ]; then\n"
        + "    kill \"$server\" 2>/dev/null; echo \"overlay4j did not mount:\" >&2;"
        + " cat \"$log\" >&2; rm -f \"$log\"; exit 1\n"
        + "  fi\n"
        + "  sleep 0.02; waited=$((waited + 1))\n"
        + "done\n"
        + "rm -f \"$log\"");
  }

  /**
   * Whether libfuse.so.2 for this JVM's architecture (the one the overlay4j server runs on) is
   * installed: in the Debian multiarch directory, or under qemu-user's {@code QEMU_LD_PREFIX}
   * when the JVM is emulated (qemu-user looks there first when the JVM loads it).
   */
  public static boolean hasLibfuse2() {
    String arch = System.getProperty("os.arch", "");
    String triplet = (arch.equals("amd64") ? "x86_64" : arch) + "-linux-gnu";
    List<String> roots = new ArrayList<>(List.of(""));
    String prefix = System.getenv("QEMU_LD_PREFIX");
    if (prefix != null && !prefix.isEmpty()) {
      roots.add(0, prefix);
    }
    for (String root : roots) {
      for (String dir : List.of("/usr/lib/" + triplet, "/lib/" + triplet, "/usr/lib64", "/lib64", "/usr/lib", "/lib")) {
        if (Files.exists(Path.of(root + dir, "libfuse.so.2"))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Why overlay4j's FUSE mount cannot be made here, or empty when it can (checked once). */
  public static Optional<String> overlay4jUnavailableReason() {
    Optional<String> r = overlay4jUnavailable;
    if (r == null) {
      synchronized (UserspaceOverlays.class) {
        r = overlay4jUnavailable;
        if (r == null) {
          overlay4jUnavailable = r = Optional.ofNullable(probeOverlay4j());
        }
      }
    }
    return r;
  }

  /** Why fuse-overlayfs cannot be mounted here, or empty when it can (checked once). */
  public static Optional<String> fuseOverlayfsUnavailableReason() {
    Optional<String> r = fuseOverlayfsUnavailable;
    if (r == null) {
      synchronized (UserspaceOverlays.class) {
        r = fuseOverlayfsUnavailable;
        if (r == null) {
          fuseOverlayfsUnavailable = r = Optional.ofNullable(probeFuseOverlayfs());
        }
      }
    }
    return r;
  }

  private static String fuseBasics() {
    Optional<String> kernel = KernelOverlay.unavailableReason();
    if (kernel.isPresent()) {
      // The same prerequisites (root, a private mount namespace, the tools) apply.
      return kernel.get();
    }
    if (!Files.exists(Path.of("/dev/fuse"))) {
      return "no /dev/fuse on this machine (FUSE is not available)";
    }
    return null;
  }

  private static String probeOverlay4j() {
    String basics = fuseBasics();
    if (basics != null) {
      return basics;
    }
    if (!Shell.onPath("mountpoint")) {
      return "`mountpoint` is not on the PATH (Debian package util-linux)";
    }
    if (!hasLibfuse2()) {
      return "libfuse.so.2 for " + System.getProperty("os.arch") + " is missing (jnr-fuse needs "
          + "it): apt-get install -y libfuse2";
    }
    try {
      Class.forName(OVERLAY4J_MAIN, false, UserspaceOverlays.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      return "the overlay4j command (" + OVERLAY4J_MAIN + ", module overlay-fuse) is not on "
          + "this JVM's class path";
    }
    return trialMount(overlay4j());
  }

  private static String probeFuseOverlayfs() {
    String basics = fuseBasics();
    if (basics != null) {
      return basics;
    }
    if (!Shell.onPath("fuse-overlayfs")) {
      return "fuse-overlayfs is not on the PATH (Debian package fuse-overlayfs)";
    }
    return trialMount(FUSE_OVERLAYFS);
  }

  /** Mounts one lower, upper and work and reads a lower file through the mount. */
  private static String trialMount(MountedTree.MountCommand command) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory(Path.of("/tmp"), "overlay4j-probe-");
      Path l = Files.createDirectory(dir.resolve("l"));
      Path u = Files.createDirectory(dir.resolve("u"));
      Path w = Files.createDirectory(dir.resolve("w"));
      Path m = Files.createDirectory(dir.resolve("m"));
      Files.writeString(l.resolve("a"), "a");
      try (MountedTree t = MountedTree.mount(command, KernelOverlay.options(List.of(l), u, w),
          m)) {
        Shell.Result r = t.sh("cat a");
        if (!r.ok() || !r.out().equals("a")) {
          return "a trial " + command.name() + " mount did not show its layer: " + r.describe();
        }
      }
      return null;
    } catch (IOException e) {
      return "a trial " + command.name() + " mount in a private mount namespace failed: "
          + e.getMessage();
    } finally {
      if (dir != null) {
        Shell.deleteTree(dir);
      }
    }
  }
}
