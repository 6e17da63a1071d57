package io.overlay4j.spec;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs host commands for the test harness and reports exactly what they did: exit code, stdout
 * as bytes (file names may hold anything but NUL), stderr as text. Nothing here goes through a
 * shell unless asked to ({@link #sh}); arguments are passed as they are.
 */
public final class Shell {
  /** How long one command may take before it is killed and reported as failed. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private Shell() {}

  /** What a finished command did. */
  public record Result(List<String> command, int exitCode, byte[] stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** Stdout decoded as UTF-8. */
    public String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    /** This result when the command succeeded; otherwise an IOException that says why. */
    public Result requireSuccess() throws IOException {
      if (exitCode != 0) {
        throw new IOException(describe());
      }
      return this;
    }

    /** The command, its exit code and its output, for failure messages. */
    public String describe() {
      String out = out();
      return "command " + command + " exited with " + exitCode
          + (stderr.isBlank() ? "" : "\n  stderr: " + stderr.strip().replace("\n", "\n          "))
          + (out.isBlank() ? "" : "\n  stdout: " + abbreviate(out.strip(), 2000)
              .replace("\n", "\n          "));
    }
  }

  /** Runs {@code argv} with extra environment variables and no stdin, within the timeout. */
  public static Result run(List<String> argv, Map<String, String> env, Duration timeout)
      throws IOException {
    Path out = Files.createTempFile("overlay4j-sh-", ".out");
    Path err = Files.createTempFile("overlay4j-sh-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(argv)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      boolean done;
      try {
        done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running " + argv, e);
      }
      if (!done) {
        p.destroyForcibly();
        throw new IOException("command " + argv + " did not finish within " + timeout
            + "; killed. stderr so far: " + Files.readString(err, StandardCharsets.UTF_8));
      }
      return new Result(List.copyOf(argv), p.exitValue(), Files.readAllBytes(out),
          new String(Files.readAllBytes(err), StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  public static Result run(List<String> argv) throws IOException {
    return run(argv, Map.of(), DEFAULT_TIMEOUT);
  }

  public static Result run(String... argv) throws IOException {
    return run(List.of(argv));
  }

  /** Runs a script with {@code sh -c}; {@code env} is visible to it as shell variables. */
  public static Result sh(String script, Map<String, String> env) throws IOException {
    return run(List.of("sh", "-c", script), env, DEFAULT_TIMEOUT);
  }

  public static Result sh(String script) throws IOException {
    return sh(script, Map.of());
  }

  /** Runs a script and fails with its output unless it exits 0. */
  public static Result shOk(String script) throws IOException {
    return sh(script).requireSuccess();
  }

  /**
   * Quotes a string for {@code sh}: single quotes, with each {@code '} written as {@code '\''}.
   * Safe for every string without NUL, newlines included.
   */
  public static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Whether an executable of that name is on the PATH. */
  public static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null || path.isEmpty()) {
      path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    }
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** Deletes a directory tree, not following symlinks. */
  public static void deleteTree(Path root) {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var walk = Files.walk(root)) {
      List<Path> paths = new ArrayList<>(walk.toList());
      java.util.Collections.reverse(paths);
      for (Path p : paths) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "... (" + (s.length() - max)
        + " more characters)";
  }
}
