package io.overlay4j.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM whose exit stalls in a shutdown hook is ended and says why: by its own watchdog, and,
 * should that not run, by the wrapper Surefire's emulated forks run under.
 */
class ExitWatchdogTest {
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
  /** The module's directory is Surefire's working directory. */
  private static final Path WRAPPER = Path.of("..", "scripts", "emulated-test-jvm", "bin", "java");

  @Test
  void aStalledExitIsEndedByTheJvmsWatchdogWithItsStatus() throws Exception {
    Run r = run(List.of(), Map.of(), "2", "3");
    assertEquals(3, r.status, "ended with the status it was given:\n" + r.out);
    assertTrue(r.out.contains("stdin: hello"), r.out);
    assertTrue(r.out.contains("is still exiting 2 s after System.exit"), r.out);
    assertTrue(r.out.contains("\"stalling-hook\""), "the thread dump names the stalled hook:\n" + r.out);
    assertTrue(r.out.contains("with _exit(3)"), r.out);
  }

  @Test
  void aStalledExitTheJvmCannotEndIsKilledByTheWrapper() throws Exception {
    // The JVM's own watchdog waits 10 minutes: the wrapper, told 3 s, comes first.
    Run r = run(List.of("sh", WRAPPER.toString()),
        Map.of("OVERLAY4J_EMULATED_JAVA", JAVA.toString(), "OVERLAY4J_EXIT_STALL_SECONDS", "3"),
        "600", "3");
    assertEquals(0, r.status, "a fork that was exiting counts as ended normally:\n" + r.out);
    assertTrue(r.out.contains("stdin: hello"), "the wrapper passes stdin on:\n" + r.out);
    assertTrue(r.out.contains("still exiting 3 s after its exit began: SIGKILL"), r.out);
  }

  @Test
  void theWrapperPassesANormalExitStatusOn() throws Exception {
    Path dir = Files.createTempDirectory("overlay4j-wrapper");
    try {
      Path fake = dir.resolve("java");
      Files.writeString(fake, "#!/bin/sh\nread line; echo \"got $line $*\"; exit 7\n");
      fake.toFile().setExecutable(true);
      Run r = run(List.of("sh", WRAPPER.toString()), Map.of("OVERLAY4J_EMULATED_JAVA",
          fake.toString()), "a", "b");
      assertEquals(7, r.status, r.out);
      assertTrue(r.out.contains("got hello -cp"), r.out);
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private record Run(int status, String out) {}

  /** Runs ExitWatchdog's stalling main (under {@code prefix}), "hello" on its stdin. */
  private static Run run(List<String> prefix, Map<String, String> env, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(prefix);
    if (prefix.isEmpty()) {
      cmd.add(JAVA.toString());
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
        ExitWatchdog.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    // Not a timing assertion: a bound so that a broken watchdog fails instead of hanging.
    boolean ended = p.waitFor(300, TimeUnit.SECONDS);
    if (!ended) {
      p.destroyForcibly();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(ended, "the stalled JVM was not ended:\n" + out);
    return new Run(p.exitValue(), out);
  }
}
