package io.overlay4j.fuse;

import io.overlay4j.core.Overlay;
import io.overlay4j.core.config.OverlayConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * What the reliability tests (crash, concurrency, names, hostile layers, soak) share: the
 * overlay4j server as a separate process that can be killed, an in-process mount for checking
 * what a crash left, a kernel overlay mount of the same directories, tree snapshots, and
 * Python workers that report each completed operation on stdout.
 */
final class ReliabilitySupport {
  private ReliabilitySupport() {}

  /** What a snapshot records for a name that is not there. */
  static final String ABSENT = "(absent)";

  static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  static boolean hasCommand(String name) {
    try {
      return FuseTestSupport.sh("command -v " + name).status() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  // ---- the server as its own process ----

  /**
   * {@code overlay4j mount -f -o OPTIONS MERGED} in a child JVM: what {@code overlay4j mount}
   * starts in the background, started directly so the test knows its pid and can kill it.
   */
  static final class Server implements AutoCloseable {
    final Process process;
    final Path merged;
    final Path log;

    private Server(Process process, Path merged, Path log) {
      this.process = process;
      this.merged = merged;
      this.log = log;
    }

    static Server start(String options, Path merged, Path log, List<String> jvmArgs)
        throws Exception {
      return start(options, merged, log, jvmArgs, Map.of());
    }

    static Server start(String options, Path merged, Path log, List<String> jvmArgs,
        Map<String, String> env) throws Exception {
      return start(options, merged, log, jvmArgs, env, List.of());
    }

    /** {@code mountArgs}: more arguments of {@code mount}, e.g. {@code --threads single}. */
    static Server start(String options, Path merged, Path log, List<String> jvmArgs,
        Map<String, String> env, List<String> mountArgs) throws Exception {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvmArgs);
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
          "mount", "-f"));
      cmd.addAll(mountArgs);
      cmd.addAll(List.of("-o", options, merged.toString()));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      pb.environment().put("LC_ALL", "C.UTF-8");
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!MountCommand.await(() -> MountTable.isOverlay4j(merged) || !p.isAlive(), 60)
          || !MountTable.isOverlay4j(merged)) {
        p.destroyForcibly();
        throw new AssertionError("the server did not mount " + merged + ": "
            + (Files.exists(log) ? Files.readString(log) : ""));
      }
      return new Server(p, merged, log);
    }

    long pid() {
      return process.pid();
    }

    /** SIGKILL, then takes down the dead mount it leaves. */
    void kill9() throws Exception {
      process.destroyForcibly(); // SIGKILL on Linux
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("server " + pid() + " survived SIGKILL");
      }
      if (MountTable.isMountPoint(merged)) {
        MountTable.unmount(merged, true);
      }
    }

    /** A clean unmount; the server exits by itself. */
    void unmount() throws Exception {
      if (MountTable.isMountPoint(merged)) {
        MountTable.unmount(merged, false);
      }
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("server " + pid() + " did not exit after umount");
      }
    }

    @Override
    public void close() throws Exception {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
      if (MountTable.isMountPoint(merged)) {
        MountTable.unmount(merged, true);
      }
    }
  }

  /**
   * strace attached to every thread of a running process, writing to {@code out}; returns once
   * it has attached them all.
   */
  static Process strace(long pid, Path out, String... filters) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("strace", "-f", "-o", out.toString()));
    cmd.addAll(List.of(filters));
    cmd.addAll(List.of("-p", String.valueOf(pid)));
    Path err = Path.of(out + ".err");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(err.toFile())
        .start();
    // strace says "Process N attached with M threads" once it holds them all.
    boolean attached = MountCommand.await(() -> {
      try {
        return Files.exists(err) && Files.readString(err).contains("attached");
      } catch (IOException e) {
        return false;
      }
    }, 20);
    if (!attached) {
      p.destroyForcibly();
      throw new AssertionError("strace did not attach to " + pid + ": "
          + (Files.exists(err) ? Files.readString(err) : ""));
    }
    Thread.sleep(50);
    return p;
  }

  /** An overlay4j FUSE mount served by this JVM (as {@link TestMount}, with any options). */
  static final class InProcessMount implements AutoCloseable {
    private final Path merged;
    private final Thread server;

    InProcessMount(String options, Path merged) throws Exception {
      this.merged = merged;
      Overlay overlay = Overlay.open(OverlayConfig.parse(options));
      OverlayFuse fs = new OverlayFuse(overlay, true, false);
      // The options of `overlay4j mount` as root.
      String[] args = MountCommand.fuseArgs(List.of(), false, true, false)
          .toArray(String[]::new);
      server = new Thread(() -> fs.mount(merged, true, false, args), "fuse-" + merged);
      server.setDaemon(true);
      server.start();
      if (!MountCommand.await(() -> MountTable.isOverlay4j(merged), 30)) {
        throw new IllegalStateException("mount did not appear at " + merged);
      }
    }

    @Override
    public void close() throws Exception {
      if (MountTable.isMountPoint(merged)) {
        MountTable.unmount(merged, false);
        server.join(10_000);
      }
      if (MountTable.isMountPoint(merged)) {
        MountTable.unmount(merged, true);
      }
    }
  }

  /** The kernel's overlayfs over the same directories, at {@code dir}. */
  static final class KernelMount implements AutoCloseable {
    private final Path dir;

    KernelMount(String options, Path dir) throws Exception {
      this.dir = dir;
      FuseTestSupport.sh("mount -t overlay overlay -o '" + options + "' '" + dir + "'").ok();
    }

    @Override
    public void close() throws Exception {
      FuseTestSupport.sh("umount '" + dir + "'").ok();
    }
  }

  /** Whether this machine mounts the kernel's overlayfs (root, module available). */
  static boolean kernelOverlayWorks(Path scratch) throws Exception {
    Path r = Files.createTempDirectory(scratch, "kprobe");
    try {
      for (String d : List.of("l", "u", "w", "m")) {
        Files.createDirectory(r.resolve(d));
      }
      FuseTestSupport.Result res = FuseTestSupport.sh("mount -t overlay overlay -o lowerdir=" + r
          + "/l,upperdir=" + r + "/u,workdir=" + r + "/w " + r + "/m && umount " + r + "/m");
      return res.status() == 0;
    } finally {
      FuseTestSupport.deleteTree(r);
    }
  }

  // ---- snapshots of trees ----

  /**
   * Every object under {@code root} (not following symlinks), by relative path: {@code f MODE
   * SIZE CRC32C}, {@code d MODE}, {@code l TARGET}, {@code c RDEV}, or {@code ! ERROR} when it
   * could not be read.
   */
  static TreeMap<String, String> snapshot(Path root) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    Files.walkFileTree(root, Set.of(), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        if (!dir.equals(root)) {
          out.put(root.relativize(dir).toString(), describe(dir));
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        out.put(root.relativize(file).toString(), describe(file));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        out.put(root.relativize(file).toString(), "! " + e);
        return FileVisitResult.CONTINUE;
      }
    });
    return out;
  }

  static String describe(Path p) {
    try {
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,size,rdev",
          LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      String perm = String.format("%04o", mode & 07777);
      switch (mode & 0170000) {
        case 0100000:
          return "f " + perm + " " + a.get("size") + " " + crc(p);
        case 0040000:
          return "d " + perm;
        case 0120000:
          return "l " + Files.readSymbolicLink(p);
        case 0020000:
          return "c " + a.get("rdev");
        default:
          return "o " + Integer.toOctalString(mode);
      }
    } catch (IOException e) {
      return "! " + e;
    }
  }

  static String crc(Path p) throws IOException {
    CRC32C c = new CRC32C();
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
      while (ch.read(b.clear()) > 0) {
        c.update(b.flip());
      }
    }
    return Long.toHexString(c.getValue());
  }

  /** What {@link #describe} says of a regular file with this mode and content. */
  static String file(int mode, byte[]... parts) {
    CRC32C c = new CRC32C();
    long size = 0;
    for (byte[] part : parts) {
      c.update(part);
      size += part.length;
    }
    return "f " + String.format("%04o", mode) + " " + size + " " + Long.toHexString(c.getValue());
  }

  static String dir(int mode) {
    return "d " + String.format("%04o", mode);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /**
   * The states a tree may be in: for each path, the values it may show ({@link #ABSENT}
   * included when it may be missing). A path not mentioned must be absent.
   */
  static final class Expectation {
    final Map<String, Set<String>> allowed = new TreeMap<>();

    Expectation allow(String path, String... values) {
      allowed.computeIfAbsent(path, k -> new HashSet<>()).addAll(List.of(values));
      return this;
    }

    Expectation exactly(String path, String value) {
      allowed.put(path, new HashSet<>(Set.of(value)));
      return this;
    }

    /** The violations of {@code view}, one line each (empty when it is an allowed state). */
    List<String> violations(Map<String, String> view, String who) {
      List<String> out = new ArrayList<>();
      Set<String> all = new java.util.TreeSet<>(allowed.keySet());
      all.addAll(view.keySet());
      for (String path : all) {
        String v = view.getOrDefault(path, ABSENT);
        Set<String> ok = allowed.getOrDefault(path, Set.of(ABSENT));
        if (!ok.contains(v)) {
          out.add(who + ": " + path + " is [" + v + "], allowed " + ok);
        }
      }
      return out;
    }
  }

  // ---- lower layers ----

  static void write(Path p, byte[] content, int mode) throws IOException {
    Files.createDirectories(p.getParent());
    Files.write(p, content);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perm(mode)));
  }

  static void mkdirs(Path p, int mode) throws IOException {
    Files.createDirectories(p);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perm(mode)));
  }

  static String perm(int mode) {
    String s = "rwxrwxrwx";
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      b.append((mode & (0400 >> i)) != 0 ? s.charAt(i) : '-');
    }
    return b.toString();
  }

  /** Removes everything inside {@code dir}, keeping it. */
  static void empty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          FuseTestSupport.deleteTree(p);
        } else {
          Files.delete(p);
        }
      }
    }
  }

  static List<String> names(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Every path under {@code root} whose file name starts with {@code prefix}. */
  static List<String> find(Path root, String prefix) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.getFileName() != null
          && p.getFileName().toString().startsWith(prefix)).map(Path::toString).toList();
    }
  }

  // ---- Python workers ----

  /**
   * A Python process running {@code script} with the given arguments; every line it prints is
   * collected as it comes, so a test can wait for "go" and then act.
   */
  static final class PyWorker implements AutoCloseable {
    private final Process process;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final Thread reader;

    PyWorker(String script, String... args) throws IOException {
      List<String> cmd = new ArrayList<>(List.of(python(), "-u", "-c", script));
      cmd.addAll(List.of(args));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("LC_ALL", "C.UTF-8");
      process = pb.start();
      process.getOutputStream().close();
      reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) {
            lines.add(l);
            queue.add(l);
          }
        } catch (IOException e) {
          lines.add("reader: " + e);
        }
        queue.add("\u0000eof");
      }, "py-reader");
      reader.setDaemon(true);
      reader.start();
    }

    /** Waits for a line equal to {@code wanted}; fails on end of output or timeout. */
    void await(String wanted, long seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (true) {
        String l = queue.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (l == null) {
          throw new AssertionError("no \"" + wanted + "\" within " + seconds + " s: " + lines);
        }
        if (l.equals(wanted)) {
          return;
        }
        if (l.equals("\u0000eof")) {
          throw new AssertionError("worker ended before \"" + wanted + "\": " + lines);
        }
      }
    }

    /** Waits for the process to end (killing it after {@code seconds}); all its lines. */
    List<String> finish(long seconds) throws InterruptedException {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        lines.add("(killed after " + seconds + " s)");
      }
      reader.join(10_000);
      synchronized (lines) {
        return List.copyOf(lines);
      }
    }

    int exitValue() {
      return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
