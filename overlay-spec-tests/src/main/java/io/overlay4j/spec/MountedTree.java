package io.overlay4j.spec;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A file system mounted in a private mount namespace of its own, for as long as this object is
 * open. Nothing mounted here is ever visible to the rest of the machine, and when the process
 * holding the namespace exits — on {@link #close}, or when the JVM dies — the kernel drops the
 * mount with it, so a failed test cannot leak a mount.
 *
 * <p>How the mount is made is a {@link MountCommand}: a shell command run inside the namespace
 * with {@code $M} (the mount point) and {@code $OPTS} (the option string) set, so the same
 * harness can mount the kernel's overlay, fuse-overlayfs or overlay4j's FUSE mount.
 *
 * <p>The mounted tree is reachable two ways: by commands run inside the namespace
 * ({@link #sh}, which start in the mount point), and from this JVM through
 * {@code /proc/PID/root} of the namespace holder ({@link #hostPath}).
 */
public final class MountedTree implements Closeable {
  private static final String READY = "overlay4j-mount-ready";
  private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How to mount: {@code template} is a shell command that mounts {@code $OPTS} at {@code $M}
   * and returns once the mount is live (a FUSE daemon must detach or be started in the
   * background with a wait for the mount).
   */
  public record MountCommand(String name, String template) {
    public MountCommand {
      Objects.requireNonNull(name);
      Objects.requireNonNull(template);
    }
  }

  private final MountCommand command;
  private final String options;
  private final Path mountPoint;
  private final Process holder;
  private final Path stderr;
  private boolean closed;

  private MountedTree(MountCommand command, String options, Path mountPoint, Process holder,
      Path stderr) {
    this.command = command;
    this.options = options;
    this.mountPoint = mountPoint;
    this.holder = holder;
    this.stderr = stderr;
  }

  /**
   * Mounts in a new private mount namespace and returns once the mount is live. The mount
   * point must be an existing directory.
   */
  public static MountedTree mount(MountCommand command, String options, Path mountPoint)
      throws IOException {
    Path mp = mountPoint.toAbsolutePath().normalize();
    if (!Files.isDirectory(mp)) {
      throw new IOException("mount point is not a directory: " + mp);
    }
    // The holder shell mounts, reports readiness, then waits for its stdin to close (our
    // close(), or this JVM's death) and unmounts. Exit codes: 90 mount failed, 91 umount failed.
    // (SIGPIPE ignored: if this JVM is gone before the ready line is read, the echo must not
    // kill the holder before it unmounts.)
    String script = "trap '' PIPE\n{ " + command.template() + "\n} || exit 90\n"
        + "echo " + READY + "\n"
        + "read _overlay4j_wait || true\n"
        + "cd /\n"
        + "umount \"$M\" || { umount -l \"$M\"; exit 91; }\n";
    Path err = Files.createTempFile("overlay4j-mount-", ".err");
    ProcessBuilder pb = new ProcessBuilder(List.of("unshare", "--mount", "--propagation",
        "private", "sh", "-c", script))
        .redirectError(err.toFile());
    pb.environment().put("M", mp.toString());
    pb.environment().put("OPTS", options);
    Process p = pb.start();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.equals(READY)) {
            return line;
          }
        }
        return null;
      } catch (IOException e) {
        return null;
      }
    });
    String line;
    try {
      line = ready.get(MOUNT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      line = null;
    }
    if (line == null) {
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      String why = Files.readString(err, StandardCharsets.UTF_8).strip();
      Files.deleteIfExists(err);
      throw new IOException(command.name() + ": mount of " + mp + " with -o " + options
          + " failed" + (p.isAlive() ? " (timed out)" : " (exit " + p.exitValue() + ")")
          + (why.isEmpty() ? "" : ": " + why));
    }
    return new MountedTree(command, options, mp, p, err);
  }

  /** A name for messages: the mount command's name. */
  public String name() {
    return command.name();
  }

  public String options() {
    return options;
  }

  /** The mount point as processes inside the namespace name it. */
  public Path mountPoint() {
    return mountPoint;
  }

  /** The pid of the process that holds the namespace. */
  public long namespacePid() {
    return holder.pid();
  }

  /** The mounted tree as this JVM reaches it: through the namespace holder's root. */
  public Path hostPath() {
    return Path.of("/proc", Long.toString(holder.pid()), "root")
        .resolve(mountPoint.toString().substring(1));
  }

  /**
   * Runs a shell script inside the namespace, starting in the mount point, with {@code $M}
   * set. Returns whatever it did; see {@link #shOk} to require success.
   */
  public Shell.Result sh(String script) throws IOException {
    requireOpen();
    return Shell.run(List.of("nsenter", "--target", Long.toString(holder.pid()), "--mount",
        "--", "sh", "-c", "cd \"$M\" || exit 92\n" + script),
        Map.of("M", mountPoint.toString()), Shell.DEFAULT_TIMEOUT);
  }

  /** Runs a script inside the namespace and fails with its output unless it exits 0. */
  public Shell.Result shOk(String script) throws IOException {
    return sh(script).requireSuccess();
  }

  /** A snapshot of the mounted tree. */
  public TreeSnapshot snapshot() throws IOException {
    requireOpen();
    return TreeSnapshot.ofMountedTree(this);
  }

  private void requireOpen() {
    if (closed || !holder.isAlive()) {
      throw new IllegalStateException(name() + " at " + mountPoint + " is no longer mounted");
    }
  }

  /** Unmounts and ends the namespace; fails when the unmount failed (a busy mount, say). */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      try (OutputStream in = holder.getOutputStream()) {
        in.write('\n');
      } catch (IOException ignored) {
        // the holder is gone already; its exit code says why
      }
      boolean done = holder.waitFor(30, TimeUnit.SECONDS);
      if (!done) {
        holder.destroyForcibly();
        holder.waitFor(10, TimeUnit.SECONDS);
        throw new IOException(name() + ": unmount of " + mountPoint + " timed out; namespace "
            + "holder killed");
      }
      int rc = holder.exitValue();
      if (rc != 0) {
        throw new IOException(name() + ": unmount of " + mountPoint + " failed (exit " + rc
            + "): " + Files.readString(stderr, StandardCharsets.UTF_8).strip());
      }
    } catch (InterruptedException e) {
      holder.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while unmounting " + mountPoint, e);
    } finally {
      Files.deleteIfExists(stderr);
    }
  }

  @Override
  public String toString() {
    return name() + " at " + mountPoint + " (-o " + options + ", namespace of pid "
        + holder.pid() + ")";
  }
}
