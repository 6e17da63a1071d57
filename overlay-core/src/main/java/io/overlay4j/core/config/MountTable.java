package io.overlay4j.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The mounts of this process's mount namespace, from {@code /proc/self/mountinfo}, to tell
 * whether two directories are under the same mount (the kernel's rule for upperdir and workdir;
 * bind mounts of one filesystem are different mounts, and rename(2) fails across them).
 */
final class MountTable {
  /** One line of mountinfo. */
  static final class Mount {
    final int id;
    final Path mountPoint;

    Mount(int id, Path mountPoint) {
      this.id = id;
      this.mountPoint = mountPoint;
    }
  }

  private final List<Mount> mounts;

  private MountTable(List<Mount> mounts) {
    this.mounts = mounts;
  }

  /** The current table, or {@code null} where /proc/self/mountinfo cannot be read. */
  static MountTable current() {
    Path info = Path.of("/proc/self/mountinfo");
    try {
      return parse(Files.readAllLines(info, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Parses mountinfo lines: {@code id parent major:minor root mount-point options ...}, with
   * space, tab, newline and backslash in the mount point written as octal escapes ({@code \040}).
   * Malformed lines are skipped.
   */
  static MountTable parse(List<String> lines) {
    List<Mount> out = new ArrayList<>();
    for (String line : lines) {
      String[] f = line.split(" ");
      if (f.length < 5) {
        continue;
      }
      try {
        int id = Integer.parseInt(f[0]);
        out.add(new Mount(id, Path.of(unescapeOctal(f[4]))));
      } catch (RuntimeException e) {
        // not a mountinfo line
      }
    }
    return new MountTable(out);
  }

  /**
   * The mount a (real, absolute) path is on: the one with the longest mount point containing it;
   * among mounts on the same point, the last listed, which hides the ones below it.
   */
  Mount mountOf(Path realPath) {
    Mount best = null;
    for (Mount m : mounts) {
      if (realPath.startsWith(m.mountPoint)
          && (best == null || m.mountPoint.getNameCount() >= best.mountPoint.getNameCount())) {
        best = m;
      }
    }
    return best;
  }

  static String unescapeOctal(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    // mountinfo escapes bytes; decode to bytes first so UTF-8 names survive.
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    byte[] raw = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '\\' && i + 3 < raw.length && isOctal(raw[i + 1]) && isOctal(raw[i + 2])
          && isOctal(raw[i + 3])) {
        bytes.write(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0'));
        i += 3;
      } else {
        bytes.write(raw[i]);
      }
    }
    return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
  }

  private static boolean isOctal(byte b) {
    return b >= '0' && b <= '7';
  }
}
