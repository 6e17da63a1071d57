package io.overlay4j.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the server as a detached child JVM and returns once its mount is live. jnr-fuse mounts
 * in the calling thread and serves there, so "return once mounted" needs a second process.
 */
final class Daemon {
  private Daemon() {}

  static int startAndWait(Path merged, List<String> args, int waitSeconds) throws Exception {
    Path log = logFile(merged);
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid"); // no controlling terminal: a closed shell does not end it
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(ProcessHandle.current().info().arguments().map(Daemon::jvmOptions)
        .orElse(List.of()));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(
            Path.of("/dev/null").toFile()));
    pb.environment().putIfAbsent("LC_ALL", "C.UTF-8");
    Process child = pb.start();
    boolean live = MountCommand.await(() -> MountTable.isOverlay4j(merged) || !child.isAlive(),
        waitSeconds);
    if (live && MountTable.isOverlay4j(merged)) {
      System.err.println("overlay4j: mounted " + merged + " (server pid " + child.pid()
          + ", log " + log + ")");
      return 0;
    }
    String out = Files.exists(log) ? Files.readString(log).strip() : "";
    if (child.isAlive()) {
      child.destroy();
      return MountCommand.error("the mount did not appear within " + waitSeconds + " s"
          + (out.isEmpty() ? "" : ":\n" + out));
    }
    return MountCommand.error(out.isEmpty() ? "the server exited with status "
        + child.exitValue() : out.replaceFirst("^overlay4j: ", ""));
  }

  /** The JVM options of this process (heap size and the like), without the main class. */
  private static List<String> jvmOptions(String[] args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("-cp") || args[i].equals("-classpath") || args[i].equals("-jar")) {
        break;
      }
      if (args[i].startsWith("-X") || args[i].startsWith("-D")) {
        out.add(args[i]);
      }
    }
    return out;
  }

  private static Path logFile(Path merged) throws IOException {
    String runtime = System.getenv("XDG_RUNTIME_DIR");
    Path dir = Path.of(runtime != null ? runtime : System.getProperty("java.io.tmpdir"),
        "overlay4j");
    Files.createDirectories(dir);
    return dir.resolve(merged.toString().replaceAll("[^A-Za-z0-9._-]", "_") + ".log");
  }
}
