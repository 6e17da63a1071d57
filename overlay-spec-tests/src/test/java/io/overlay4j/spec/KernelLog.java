package io.overlay4j.spec;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The kernel log's overlayfs lines, for messages about mounts that failed to read something. */
final class KernelLog {
  private KernelLog() {}

  /**
   * The "overlayfs:" lines logged since {@code sinceEpochNanos} (wall clock), as an indented
   * block starting with a newline, or "" when there are none or the log cannot be read.
   */
  static String overlayLinesSince(long sinceEpochNanos) {
    try {
      Shell.Result r = Shell.run("dmesg", "--time-format", "iso");
      if (!r.ok()) {
        return "";
      }
      List<String> lines = new ArrayList<>();
      java.time.Instant since = java.time.Instant.ofEpochSecond(0, sinceEpochNanos)
          .minusSeconds(2);
      for (String line : r.out().split("\n")) {
        int sp = line.indexOf(' ');
        if (sp < 0 || !line.contains("overlayfs:")) {
          continue;
        }
        try {
          java.time.Instant t = java.time.OffsetDateTime.parse(line.substring(0, sp)
              .replace(',', '.')).toInstant();
          if (!t.isBefore(since)) {
            lines.add(line.substring(sp + 1));
          }
        } catch (java.time.format.DateTimeParseException e) {
          // not a timestamped line
        }
      }
      return lines.isEmpty() ? "" : "\n      kernel log: " + String.join("\n      kernel log: ",
          lines);
    } catch (IOException e) {
      return "";
    }
  }
}
