package io.overlay4j.testsupport;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;

/**
 * Ends a test JVM whose exit stalls. An arm64 JVM under qemu-user has been seen to stall forever
 * in System.exit after its tests had all reported (CI: Surefire's own "going to kill self fork
 * JVM" came 30 s after the exit, and its {@code Runtime.halt} did not end the process either, so
 * Maven waited until CI's time ran out). Once the exit has taken longer than the grace period,
 * this prints which threads are still alive and ends the process with libc's {@code _exit(2)}
 * and the status the exit was meant to have: one system call, which needs neither the JVM's
 * exit path nor a new process. (Surefire takes a fork ended by a signal for a failed build.)
 */
public final class ExitWatchdog {
  private static volatile boolean installed;
  /** The process's own stderr: once a fork has said goodbye, Surefire no longer reads System.err. */
  private static final PrintStream ERR = new PrintStream(
      new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

  /** libc, bound before the exit: nothing is loaded or generated once the JVM is exiting. */
  public interface LibC {
    int getpid();

    void _exit(int status);
  }

  private ExitWatchdog() {}

  /**
   * Arms the watchdog for this JVM's exit (once per JVM; later calls do nothing).
   *
   * @param status the status to end with: a shutdown hook cannot read the one System.exit was
   *     given (Surefire ends a fork with {@code System.exit(0)} once its tests have reported)
   */
  public static synchronized void install(Duration grace, int status) {
    if (installed) {
      return;
    }
    LibC libc = LibraryLoader.create(LibC.class)
        .load(Platform.getNativePlatform().getStandardCLibraryName());
    int pid = libc.getpid();
    // The name (15 characters: all a thread's name in /proc/PID/task/*/comm) tells
    // scripts/emulated-test-jvm/bin/java that this JVM has begun to exit.
    Thread watcher = new Thread(() -> watch(libc, pid, grace, status), "o4j-jvm-exiting");
    watcher.setDaemon(true);
    Runtime.getRuntime().addShutdownHook(new Thread(watcher::start,
        "overlay4j-exit-watchdog-start"));
    installed = true;
  }

  private static void watch(LibC libc, int pid, Duration grace, int status) {
    try {
      Thread.sleep(grace.toMillis());
    } catch (InterruptedException e) {
      return;
    }
    ERR.println("[overlay4j] exit watchdog: this JVM (pid " + pid + ", "
        + TestJvmArch.describe() + ") is still exiting " + grace.toSeconds()
        + " s after System.exit; its threads:");
    // The dump needs the JVM's cooperation, which a stalled exit may withhold: bounded wait.
    Thread dump = new Thread(ExitWatchdog::printThreads, "overlay4j-exit-watchdog-dump");
    dump.setDaemon(true);
    dump.start();
    try {
      dump.join(5_000);
    } catch (InterruptedException e) {
      // kill anyway
    }
    ERR.println("[overlay4j] exit watchdog: ending pid " + pid + " with _exit(" + status
        + ")");
    ERR.flush();
    libc._exit(status);
  }

  private static void printThreads() {
    for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
      StringBuilder b = new StringBuilder("  \"" + e.getKey().getName() + "\" "
          + e.getKey().getState() + (e.getKey().isDaemon() ? " daemon" : ""));
      for (StackTraceElement f : e.getValue()) {
        b.append("\n      at ").append(f);
      }
      ERR.println(b);
    }
  }

  /**
   * A JVM whose exit never ends: a shutdown hook that never returns. Run by ExitWatchdogTest
   * in a child JVM; arguments: the grace period in seconds, the status to end with. It first
   * echoes one line of its standard input.
   */
  public static void main(String[] args) throws Exception {
    System.out.println("stdin: " + new java.io.BufferedReader(
        new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine());
    install(Duration.ofSeconds(Long.parseLong(args[0])), Integer.parseInt(args[1]));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      while (true) {
        try {
          Thread.sleep(60_000);
        } catch (InterruptedException e) {
          // keep stalling
        }
      }
    }, "stalling-hook"));
    System.out.println("exiting");
    System.exit(0);
  }
}
