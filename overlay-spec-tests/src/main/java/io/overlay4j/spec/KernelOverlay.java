package io.overlay4j.spec;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Linux kernel's overlayfs as the reference implementation: builds its option string and
 * mounts it in a private mount namespace ({@link MountedTree}). {@link #unavailableReason}
 * says, once per JVM, whether this machine can do that at all, and if not exactly why.
 */
public final class KernelOverlay {
  /** {@code mount -t overlay}, with the options in {@code $OPTS} and the mount point {@code $M}. */
  public static final MountedTree.MountCommand MOUNT = new MountedTree.MountCommand(
      "kernel", "mount -t overlay overlay -o \"$OPTS\" \"$M\"");

  /** Everything the harness runs; each must be on the PATH. */
  private static final List<String> TOOLS = List.of("sh", "unshare", "nsenter", "mount",
      "umount", "getfattr", "setfattr", "mknod", "mkfifo", "chmod", "chown");

  private static volatile Optional<String> unavailable;

  private KernelOverlay() {}

  /** A read-only overlay of lower layers, the first one topmost (needs at least two). */
  public static String readOnlyOptions(List<Path> lowers) {
    if (lowers.size() < 2) {
      throw new IllegalArgumentException("the kernel needs at least two lower layers without "
          + "an upper layer, got " + lowers.size());
    }
    return "lowerdir=" + lowerdir(lowers);
  }

  /** A writable overlay. */
  public static String options(List<Path> lowers, Path upper, Path work) {
    if (lowers.isEmpty()) {
      throw new IllegalArgumentException("at least one lower layer");
    }
    return "lowerdir=" + lowerdir(lowers) + ",upperdir=" + escape(upper) + ",workdir="
        + escape(work);
  }

  private static String lowerdir(List<Path> lowers) {
    List<String> parts = new ArrayList<>();
    for (Path p : lowers) {
      parts.add(escape(p));
    }
    return String.join(":", parts);
  }

  /**
   * A path as the kernel's option parser reads it: {@code \} escapes the next character, so
   * backslash, comma and colon are written {@code \\}, {@code \,} and {@code \:}.
   */
  public static String escape(Path p) {
    String s = p.toAbsolutePath().normalize().toString();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' || c == ',' || c == ':') {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /** Mounts the kernel's overlay at {@code mountPoint} in a private mount namespace. */
  public static MountedTree mount(String options, Path mountPoint) throws IOException {
    return MountedTree.mount(MOUNT, options, mountPoint);
  }

  /**
   * Why kernel differential tests cannot run here, or empty when they can: checked once per
   * JVM by the same kind of mount the tests make.
   */
  public static Optional<String> unavailableReason() {
    Optional<String> r = unavailable;
    if (r == null) {
      synchronized (KernelOverlay.class) {
        r = unavailable;
        if (r == null) {
          unavailable = r = Optional.ofNullable(probe());
        }
      }
    }
    return r;
  }

  private static String probe() {
    if (!System.getProperty("os.name", "").equals("Linux")) {
      return "kernel overlayfs needs Linux, this is " + System.getProperty("os.name");
    }
    String jnu = System.getProperty("sun.jnu.encoding", Charset.defaultCharset().name());
    if (!Charset.forName(jnu).name().equals("UTF-8")) {
      return "file names are decoded as " + jnu + ", not UTF-8 (run with LC_ALL=C.UTF-8); "
          + "the layers have UTF-8 names";
    }
    long euid;
    try {
      euid = effectiveUid();
    } catch (IOException e) {
      return "cannot tell whether this is root: " + e.getMessage();
    }
    if (euid != 0) {
      return "not root (euid " + euid + "): mounting the kernel overlay in a private mount "
          + "namespace, whiteout device nodes and trusted.overlay.* xattrs need root";
    }
    for (String tool : TOOLS) {
      if (!Shell.onPath(tool)) {
        return "`" + tool + "` is not on the PATH" + (tool.endsWith("fattr")
            ? " (Debian package attr)" : tool.equals("unshare") || tool.equals("nsenter")
            ? " (Debian package util-linux)" : "");
      }
    }
    Path dir = null;
    try {
      dir = Files.createTempDirectory("overlay4j-probe-");
      Path l1 = Files.createDirectory(dir.resolve("l1"));
      Path l2 = Files.createDirectory(dir.resolve("l2"));
      Path m = Files.createDirectory(dir.resolve("m"));
      Files.writeString(l1.resolve("a"), "a");
      Files.writeString(l2.resolve("b"), "b");
      try (MountedTree t = mount(readOnlyOptions(List.of(l1, l2)), m)) {
        Shell.Result r = t.sh("cat a b && stat -f -c %T .");
        if (!r.ok() || !r.out().startsWith("ab")) {
          return "a trial kernel overlay mount did not show its layers: " + r.describe();
        }
        if (!Files.isRegularFile(t.hostPath().resolve("b"))) {
          return "the trial mount is not reachable through " + t.hostPath();
        }
      }
      return null;
    } catch (IOException e) {
      return "a trial kernel overlay mount in a private mount namespace failed: "
          + e.getMessage();
    } finally {
      if (dir != null) {
        Shell.deleteTree(dir);
      }
    }
  }

  private static long effectiveUid() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
      }
    }
    throw new IOException("no Uid line in /proc/self/status");
  }
}
