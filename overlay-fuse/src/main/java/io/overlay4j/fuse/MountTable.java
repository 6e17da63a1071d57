package io.overlay4j.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What /proc/self/mountinfo says about a mount point, and how to take a mount down. */
final class MountTable {
  private MountTable() {}

  /** The mountinfo line of the mount at {@code dir}, or null. */
  static String entry(Path dir) {
    String wanted = escape(dir.toString());
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
      String found = null;
      for (String line : lines) {
        String[] f = line.split(" ");
        if (f.length > 4 && f[4].equals(wanted)) {
          found = line; // the last one is the topmost
        }
      }
      return found;
    } catch (IOException e) {
      return null;
    }
  }

  static boolean isMountPoint(Path dir) {
    return entry(dir) != null;
  }

  /** Whether the mount at {@code dir} is ours and mounted by overlay4j. */
  static boolean isOverlay4j(Path dir) {
    String e = entry(dir);
    return e != null && e.contains(" - fuse.overlay4j ");
  }

  /** A FUSE mount whose server is gone answers ENOTCONN to everything. */
  static boolean isDeadFuseMount(Path dir) {
    String e = entry(dir);
    if (e == null || !e.contains(" - fuse")) {
      return false;
    }
    try {
      Files.readAttributes(dir, "unix:ino");
      return false;
    } catch (IOException ex) {
      return String.valueOf(ex.getMessage()).contains("not connected");
    }
  }

  /** fusermount -u (lazily with {@code lazy}), falling back to umount(8) as root. */
  static int unmount(Path dir, boolean lazy) throws IOException, InterruptedException {
    List<String> cmd = lazy ? List.of("fusermount", "-u", "-z", dir.toString())
        : List.of("fusermount", "-u", dir.toString());
    int rc = run(cmd);
    if (rc != 0 && "root".equals(System.getProperty("user.name"))) {
      rc = run(lazy ? List.of("umount", "-l", dir.toString()) : List.of("umount", dir.toString()));
    }
    return rc;
  }

  private static int run(List<String> cmd) throws IOException, InterruptedException {
    try {
      return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    } catch (IOException e) {
      return 127; // no such program
    }
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  private static String escape(String s) {
    return s.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011")
        .replace("\n", "\\012");
  }
}
