package io.overlay4j.spec.conformance;

import io.overlay4j.spec.KernelOverlay;
import io.overlay4j.spec.MountedTree;
import io.overlay4j.spec.Shell;
import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The targets the conformance suite can judge, by name: {@code core-memory}, {@code core},
 * {@code nio-memory}, {@code nio} (overlay-core through its java.nio.file provider),
 * {@code kernel}, {@code fuse-overlayfs}, {@code overlay4j}, or a mount command template with
 * {@code {lowerdir}}, {@code {upperdir}}, {@code {workdir}} and {@code {merged}} placeholders
 * (anything else with a space or a brace in it).
 */
public final class Targets {
  private Targets() {}

  /** Makes fresh targets of one kind over given layers. */
  public interface Factory {
    /** The name results are reported under. */
    String name();

    /** Why this target cannot run here, exactly; empty when it can. */
    Optional<String> unavailableReason();

    Target create(List<LayerTree> lowers, Model.Options options) throws IOException;

    /** Whether this is a mount driven through the kernel's VFS (rather than the core's API). */
    boolean isMount();
  }

  public static final List<String> NAMES = List.of("core-memory", "core", "nio-memory", "nio",
      "kernel", "fuse-overlayfs", "overlay4j");

  public static Factory of(String spec) {
    return switch (spec) {
      case "core-memory" -> new Core(true);
      case "core", "core-host" -> new Core(false);
      case "nio-memory" -> new Nio(true);
      case "nio", "nio-host" -> new Nio(false);
      case "kernel" -> mount(new SimpleMounter("kernel", KernelOverlay.MOUNT, true),
          () -> KernelOverlay.unavailableReason().orElse(null));
      case "fuse-overlayfs" -> mount(new SimpleMounter("fuse-overlayfs",
          new MountedTree.MountCommand("fuse-overlayfs",
              "fuse-overlayfs -o \"$OPTS\" \"$M\""), false),
          () -> fuseReason(Shell.onPath("fuse-overlayfs") ? null
              : "`fuse-overlayfs` is not on the PATH (Debian package fuse-overlayfs)"));
      case "overlay4j", "overlay4j-fuse" -> mount(new SimpleMounter("overlay4j",
          new MountedTree.MountCommand("overlay4j", overlay4jCommand()), false),
          () -> fuseReason(io.overlay4j.spec.UserspaceOverlays.hasLibfuse2() ? null
              : "libfuse.so.2 for " + System.getProperty("os.arch") + " is missing (Debian "
                  + "package libfuse2): overlay4j's FUSE server needs it"));
      default -> {
        if (!spec.contains("{merged}")) {
          throw new IllegalArgumentException("unknown target " + spec + ": use one of "
              + NAMES + " or a mount command with {lowerdir} {upperdir} {workdir} {merged}");
        }
        yield mount(new TemplateMounter(spec), () -> fuseOrMountReason());
      }
    };
  }

  /** {@code java -cp <this classpath> io.overlay4j.fuse.Main mount -o OPTS M}. */
  static String overlay4jCommand() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return Shell.quote(java) + " -cp " + Shell.quote(System.getProperty("java.class.path"))
        + " io.overlay4j.fuse.Main mount -o \"$OPTS\" \"$M\" 2>&1";
  }


  static String rootReason() {
    if (!Posix.available()) {
      return "cannot bind glibc with jnr-ffi on " + System.getProperty("os.name") + "/"
          + System.getProperty("os.arch");
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          long euid = Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
          return euid == 0 ? null : "not root (euid " + euid + "): layers in the kernel's "
              + "format need char 0/0 whiteouts and trusted.* xattrs, mounts need root";
        }
      }
    } catch (IOException | RuntimeException e) {
      return "cannot tell whether this is root: " + e;
    }
    return "cannot tell whether this is root: no Uid line in /proc/self/status";
  }

  private static String fuseReason(String extra) {
    String r = fuseOrMountReason();
    if (r != null) {
      return r;
    }
    if (!Files.exists(Path.of("/dev/fuse"))) {
      return "no /dev/fuse on this machine";
    }
    return extra;
  }

  private static String fuseOrMountReason() {
    String r = rootReason();
    if (r != null) {
      return r;
    }
    for (String tool : List.of("unshare", "nsenter", "umount")) {
      if (!Shell.onPath(tool)) {
        return "`" + tool + "` is not on the PATH (Debian package util-linux)";
      }
    }
    return null;
  }

  private static Factory mount(MountTarget.Mounter m, java.util.function.Supplier<String> why) {
    return new Factory() {
      private Optional<String> reason;

      @Override
      public String name() {
        return m.name();
      }

      @Override
      public synchronized Optional<String> unavailableReason() {
        if (reason == null) {
          reason = Optional.ofNullable(why.get());
        }
        return reason;
      }

      @Override
      public Target create(List<LayerTree> lowers, Model.Options options) throws IOException {
        return MountTarget.create(m, lowers, options);
      }

      @Override
      public boolean isMount() {
        return true;
      }
    };
  }

  private record SimpleMounter(String name, MountedTree.MountCommand cmd, boolean kernel)
      implements MountTarget.Mounter {
    @Override
    public MountedTree.MountCommand command(List<Path> lowers, Path upper, Path work,
        Path merged) {
      return cmd;
    }

    @Override
    public boolean workCleanWhileMounted() {
      return false;
    }
  }

  /** A command template: {lowerdir} (colon-separated, escaped), {upperdir}, {workdir}, {merged}. */
  private record TemplateMounter(String template) implements MountTarget.Mounter {
    @Override
    public String name() {
      return "custom";
    }

    @Override
    public MountedTree.MountCommand command(List<Path> lowers, Path upper, Path work,
        Path merged) {
      List<String> parts = new ArrayList<>();
      for (Path l : lowers) {
        parts.add(KernelOverlay.escape(l));
      }
      String cmd = template.replace("{lowerdir}", Shell.quote(String.join(":", parts)))
          .replace("{upperdir}", Shell.quote(upper.toString()))
          .replace("{workdir}", Shell.quote(work.toString()))
          .replace("{merged}", "\"$M\"");
      return new MountedTree.MountCommand("custom", cmd);
    }
  }

  private static final class Core implements Factory {
    private final boolean memory;

    Core(boolean memory) {
      this.memory = memory;
    }

    @Override
    public String name() {
      return memory ? "core-memory" : "core";
    }

    @Override
    public Optional<String> unavailableReason() {
      return memory ? Optional.empty() : Optional.ofNullable(rootReason());
    }

    @Override
    public Target create(List<LayerTree> lowers, Model.Options options) throws IOException {
      return memory ? CoreTarget.memory(lowers, options) : CoreTarget.host(lowers, options);
    }

    @Override
    public boolean isMount() {
      return false;
    }
  }

  /** overlay-core through its {@code overlay} java.nio.file provider ({@link NioTarget}). */
  private static final class Nio implements Factory {
    private final boolean memory;

    Nio(boolean memory) {
      this.memory = memory;
    }

    @Override
    public String name() {
      return memory ? "nio-memory" : "nio";
    }

    @Override
    public Optional<String> unavailableReason() {
      return memory ? Optional.empty() : Optional.ofNullable(rootReason());
    }

    @Override
    public Target create(List<LayerTree> lowers, Model.Options options) throws IOException {
      return memory ? NioTarget.memory(lowers, options) : NioTarget.host(lowers, options);
    }

    @Override
    public boolean isMount() {
      return false;
    }
  }
}
