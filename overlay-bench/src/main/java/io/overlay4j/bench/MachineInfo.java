package io.overlay4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The machine a result was measured on, written into every result file so that runs on
 * different machines (x86_64 and aarch64, bare metal and VMs) can be compared file to file.
 * Every field is best effort: {@code null} when this machine cannot say.
 */
public final class MachineInfo {
  private MachineInfo() {}

  /** System property naming the overlay4j checkout (the launcher sets it). */
  public static final String HOME_PROPERTY = "overlay4j.home";

  /**
   * The machine fields.
   *
   * @param layerDir a directory on the filesystem the layers live on (its type is reported)
   * @param quick whether the run was a quick one
   */
  public static Map<String, Object> collect(Path layerDir, boolean quick) {
    Map<String, Object> m = new LinkedHashMap<>();
    // The architecture overlay4j ran on; under emulation not the machine's (host_arch).
    m.put("arch", arch());
    m.put("host_arch", Sh.tryOut("uname", "-m"));
    m.put("cpu_model", cpuModel());
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("online_cpus", Sh.tryOut("nproc", "--all"));
    m.put("memory_kib", memTotalKib());
    m.put("kernel", Sh.tryOut("uname", "-r"));
    m.put("os", osRelease());
    m.put("virtualization", Sh.tryOut("systemd-detect-virt"));
    m.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name")
        + " " + System.getProperty("java.runtime.version"));
    m.put("libfuse2", emulated() ? emulatedPackageVersion("libfuse2") : dpkgVersion("libfuse2"));
    m.put("fuse3", dpkgVersion("fuse3"));
    m.put("fuse_overlayfs", fuseOverlayfsVersion());
    m.put("layer_dir", layerDir == null ? null : layerDir.toString());
    m.put("layer_fs_type", layerDir == null ? null
        : Sh.tryOut("stat", "-f", "-c", "%T", layerDir.toString()));
    m.put("overlay4j_commit", gitCommit());
    m.put("date", OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString());
    m.put("quick", quick);
    // `--arch aarch64` on x86_64: overlay4j ran on an arm64 JVM under qemu-user. Its timings
    // show that the pipeline works, not how fast an ARM machine is.
    m.put("emulated", emulated());
    if (emulated()) {
      m.put("emulator", System.getProperty(EMULATED_PROPERTY, "qemu-user") + " ("
          + "qemu-user-static " + dpkgVersion("qemu-user-static") + ")");
      m.put("emulated_jdk", emulatedPackageVersion("openjdk-17-jre-headless"));
      m.put("emulated_userland", System.getenv("QEMU_LD_PREFIX"));
      m.put("emulation_note", EMULATION_NOTE);
    }
    return m;
  }

  /** System property naming the architecture overlay4j runs on ({@code --arch}). */
  public static final String ARCH_PROPERTY = "overlay4j.arch";

  /** System property naming the emulator ({@code qemu-user}) when that arch is not the host's. */
  public static final String EMULATED_PROPERTY = "overlay4j.emulated";

  /** What an emulated result is good for, in every file and comparison that has one. */
  public static final String EMULATION_NOTE = "emulated (qemu-user on another architecture): "
      + "these timings show that the pipeline works, they are not ARM performance";

  /**
   * The architecture overlay4j runs on: {@code --arch} (the launcher's {@code -Doverlay4j.arch}),
   * else this JVM's ({@code os.arch} in the kernel's spelling; {@code uname -m} cannot be asked,
   * since under qemu-user a child process is the host's own {@code uname}).
   */
  public static String arch() {
    String a = System.getProperty(ARCH_PROPERTY, "");
    if (a.isEmpty()) {
      a = System.getProperty("os.arch", "unknown");
    }
    return switch (a) {
      case "amd64" -> "x86_64";
      case "arm64" -> "aarch64";
      default -> a;
    };
  }

  /** Whether overlay4j ran emulated (the launcher's {@code -Doverlay4j.emulated=qemu-user}). */
  public static boolean emulated() {
    String e = System.getProperty(EMULATED_PROPERTY, "");
    return (!e.isEmpty() && !e.equals("false")) || Boolean.getBoolean("overlay4j.bench.emulated");
  }

  /** {@code ARCH[-emulated]}: the architecture part of default result file names. */
  public static String archTag() {
    return arch() + (emulated() ? "-emulated" : "");
  }

  /**
   * A package's version in the emulated userland ({@code QEMU_LD_PREFIX}), from the package list
   * the launcher keeps there (its extract-only userland registers nothing with dpkg).
   */
  private static String emulatedPackageVersion(String pkg) {
    String root = System.getenv("QEMU_LD_PREFIX");
    if (root == null) {
      return null;
    }
    try {
      for (String line : Files.readAllLines(Path.of(root, ".overlay4j-packages"))) {
        // libfuse2_2.9.9-6+b1_arm64 (epochs are %3a in file names)
        String[] f = line.split("_");
        if (f.length == 3 && f[0].equals(pkg)) {
          return f[1].replace("%3a", ":") + " (" + f[2] + ", emulated userland)";
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException e) {
      // fall through to lscpu
    }
    // aarch64 kernels print no "model name": lscpu names the core (e.g. Neoverse-N1).
    String lscpu = Sh.tryOut("lscpu");
    if (lscpu != null) {
      for (String line : lscpu.split("\n")) {
        if (line.strip().startsWith("Model name:")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    }
    return null;
  }

  private static Long memTotalKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return null;
    }
    return null;
  }

  private static String osRelease() {
    try {
      for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
        if (line.startsWith("PRETTY_NAME=")) {
          return line.substring(12).replace("\"", "");
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  private static String dpkgVersion(String pkg) {
    String v = Sh.tryOut("dpkg-query", "-W", "-f", "${Version}", pkg);
    return v == null || v.isEmpty() ? null : v;
  }

  static String fuseOverlayfsVersion() {
    Sh.Result r = Sh.run(List.of("fuse-overlayfs", "--version"));
    for (String line : (r.out() + "\n" + r.err()).split("\n")) {
      if (line.startsWith("fuse-overlayfs: version")) {
        return line.substring("fuse-overlayfs: version".length()).strip();
      }
    }
    return null;
  }

  /** The checkout's commit, with "-dirty" when tracked files differ from it. */
  static String gitCommit() {
    String home = System.getProperty(HOME_PROPERTY, ".");
    String commit = Sh.tryOut("git", "-C", home, "rev-parse", "HEAD");
    if (commit == null) {
      return null;
    }
    String status = Sh.tryOut("git", "-C", home, "status", "--porcelain", "--untracked-files=no");
    return status != null && !status.isEmpty() ? commit + "-dirty" : commit;
  }
}
