package io.overlay4j.fuse;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlay4j.testsupport.TestJvmArch;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** What mount tests need: a check that FUSE mounts can be made here, shell commands, cleanup. */
final class FuseTestSupport {
  private FuseTestSupport() {}

  /** Skips the calling test, saying why, unless this JVM may mount FUSE filesystems privately. */
  static void assumeFuseMounts() {
    assumeTrue("root".equals(System.getProperty("user.name")),
        "mount tests need root (they mount FUSE in a private mount namespace)");
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse on this machine");
    assumeTrue(hasLibfuse2(), "libfuse.so.2 for " + TestJvmArch.arch()
        + " is missing: apt-get install -y libfuse2");
    assumeTrue(inPrivateNamespace(),
        "the test JVM is not in a private mount namespace (see src/test/private-mount-namespace): refusing to mount"
            + " on the host");
  }

  /**
   * Whether libfuse.so.2 for this JVM's architecture is installed: in the Debian multiarch
   * directory, or under qemu-user's {@code QEMU_LD_PREFIX} when the JVM is emulated (qemu-user
   * looks there first when the JVM loads it).
   */
  static boolean hasLibfuse2() {
    String triplet = TestJvmArch.arch() + "-linux-gnu";
    List<String> roots = new ArrayList<>(List.of(""));
    String prefix = System.getenv("QEMU_LD_PREFIX");
    if (prefix != null && !prefix.isEmpty()) {
      roots.add(0, prefix);
    }
    for (String root : roots) {
      for (String dir : List.of("/usr/lib/" + triplet, "/lib/" + triplet, "/usr/lib", "/lib")) {
        if (Files.exists(Path.of(root + dir, "libfuse.so.2"))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether this process's mount namespace differs from Maven's: the one the private-namespace
   * wrapper left (it says which in OVERLAY4J_HOST_MNT_NS), else the parent process's. (The
   * parent may be another wrapper inside the new namespace, as under emulation.)
   */
  static boolean inPrivateNamespace() {
    try {
      String host = System.getenv("OVERLAY4J_HOST_MNT_NS");
      if (host == null || host.isEmpty()) {
        long parent = ProcessHandle.current().parent().orElseThrow().pid();
        host = Files.readSymbolicLink(Path.of("/proc/" + parent + "/ns/mnt")).toString();
      }
      return !Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString().equals(host);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The counters of the overlay4j mount at {@code merged} ({@link StatsCommand#read}). */
  static JsonNode stats(Path merged) throws IOException {
    return new ObjectMapper().readTree(StatsCommand.read(merged));
  }

  /** The result of a command: exit status and everything it printed. */
  record Result(int status, String output) {
    Result ok() {
      if (status != 0) {
        throw new AssertionError("exit " + status + ": " + output);
      }
      return this;
    }
  }

  static Result sh(String script) throws IOException, InterruptedException {
    return run(List.of("sh", "-c", script));
  }

  static Result run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** {@code java -cp <this classpath> io.overlay4j.fuse.Main ARGS}: the overlay4j command. */
  static Result overlay4j(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
