package io.overlay4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs host commands for the benchmarks: mounts, tree building, timed shell workloads. */
final class Sh {
  private Sh() {}

  /** The longest one timed workload may take before it is killed and reported as failed. */
  static final long WORKLOAD_TIMEOUT_SECONDS = 900;

  /** What a finished command said. */
  record Result(int code, String out, String err) {
    boolean ok() {
      return code == 0;
    }
  }

  /** Runs {@code cmd}, waiting for it; never throws for a non-zero exit. */
  static Result run(List<String> cmd) {
    return run(cmd, 0);
  }

  /**
   * Runs {@code cmd}, killing it after {@code timeoutSeconds} (0: no limit) so that a hung
   * mount fails the workload instead of the whole run.
   */
  static Result run(List<String> cmd, long timeoutSeconds) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(
          ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      pb.environment().put("LC_ALL", "C.UTF-8");
      Process p = pb.start();
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> slurp(p, true));
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> slurp(p, false));
      if (timeoutSeconds > 0 && !p.waitFor(timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        return new Result(124, "", "timed out after " + timeoutSeconds + " s: " + cmd);
      }
      int code = p.waitFor();
      return new Result(code, out.join(), err.join());
    } catch (IOException e) {
      return new Result(127, "", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + cmd, e);
    }
  }

  private static String slurp(Process p, boolean err) {
    try {
      return new String((err ? p.getErrorStream() : p.getInputStream()).readAllBytes(),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code cmd}; its stdout, trimmed; throws with stderr when it fails. */
  static String out(String... cmd) {
    Result r = run(List.of(cmd));
    if (!r.ok()) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.code() + "): "
          + r.err().strip());
    }
    return r.out().strip();
  }

  /** Runs {@code cmd}; its stdout trimmed, or {@code null} when it fails or is missing. */
  static String tryOut(String... cmd) {
    Result r = run(List.of(cmd));
    return r.ok() ? r.out().strip() : null;
  }

  /** Runs a bash script ({@code set -euo pipefail}); its stdout; throws when it fails. */
  static String bash(String script) {
    Result r = run(List.of("bash", "-c", "set -euo pipefail\n" + script));
    if (!r.ok()) {
      throw new IllegalStateException("bash failed (" + r.code() + "): " + script.strip()
          + "\n" + r.err().strip());
    }
    return r.out().strip();
  }

  /** Single-quotes {@code s} for bash. */
  static String q(Object s) {
    return "'" + s.toString().replace("'", "'\\''") + "'";
  }

  /**
   * Runs {@code body} in bash in directory {@code dir} and returns how long the body alone took,
   * in seconds: bash's {@code $EPOCHREALTIME} is read just before and after it, so process
   * start-up and {@code setup} are not counted. The body's stdout goes to /dev/null.
   */
  static double timeBash(Path dir, String setup, String body) {
    String script = "set -uo pipefail\ncd " + q(dir) + " || exit 98\n" + setup + "\n"
        + "t0=$EPOCHREALTIME\n{ " + body + "\n} >/dev/null || exit 99\n"
        + "t1=$EPOCHREALTIME\necho \"$t0 $t1\"\n";
    Result r = run(List.of("bash", "-c", script), WORKLOAD_TIMEOUT_SECONDS);
    if (!r.ok()) {
      throw new IllegalStateException("workload failed (" + r.code() + ") in " + dir + ": "
          + body.strip() + "\n" + tail(r.err()));
    }
    String[] t = r.out().strip().split("\\s+");
    return Double.parseDouble(t[t.length - 1]) - Double.parseDouble(t[t.length - 2]);
  }

  private static String tail(String s) {
    String[] lines = s.strip().split("\n");
    List<String> last = new ArrayList<>();
    for (int i = Math.max(0, lines.length - 8); i < lines.length; i++) {
      last.add(lines[i]);
    }
    return String.join("\n", last);
  }

  /** Writes {@code lines} to {@code file}, one a line. */
  static void writeLines(Path file, List<String> lines) {
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, lines, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
