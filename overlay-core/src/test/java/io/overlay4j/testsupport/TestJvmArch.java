package io.overlay4j.testsupport;

import java.util.Optional;

/**
 * The architecture the test JVM runs on, and whether it is emulated. {@code ./overlay4j test
 * --arch aarch64} runs the test JVMs on an arm64 JDK; on x86_64 that JDK runs under qemu-user
 * and the launcher says so with {@code -Doverlay4j.emulated=qemu-user} (Surefire passes Maven's
 * {@code -D} options on to the test JVM). {@code -Doverlay4j.arch=ARCH} is the architecture the
 * run asked for.
 */
public final class TestJvmArch {
  private TestJvmArch() {}

  /** {@code os.arch} in the kernel's spelling: {@code x86_64}, {@code aarch64}, ... */
  public static String arch() {
    return normalize(System.getProperty("os.arch", "?"));
  }

  /** The architecture asked for with {@code -Doverlay4j.arch}, normalized. */
  public static Optional<String> requested() {
    String a = System.getProperty("overlay4j.arch", "");
    return a.isEmpty() ? Optional.empty() : Optional.of(normalize(a));
  }

  /** {@code amd64} as {@code x86_64}, {@code arm64} as {@code aarch64}. */
  public static String normalize(String arch) {
    return switch (arch) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> arch;
    };
  }

  /**
   * The emulator this JVM runs under ({@code qemu-user}), empty on real hardware. Set by the
   * launcher; a JVM started by hand with qemu-user's {@code QEMU_LD_PREFIX} counts too.
   */
  public static Optional<String> emulator() {
    String e = System.getProperty("overlay4j.emulated", "");
    if (!e.isEmpty() && !e.equals("false")) {
      return Optional.of(e);
    }
    return System.getenv("QEMU_LD_PREFIX") != null ? Optional.of("qemu-user") : Optional.empty();
  }

  /** One line for logs: {@code os.arch=aarch64 (emulated by qemu-user), java ...}. */
  public static String describe() {
    return "os.arch=" + arch() + emulator().map(e -> " (emulated by " + e + ")").orElse("")
        + ", java " + System.getProperty("java.vm.version") + " at "
        + System.getProperty("java.home");
  }
}
