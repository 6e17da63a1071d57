package io.overlay4j.spec;

/** Shell scripts for read-write tests, traced so that outputs can be compared line by line. */
final class Scripts {
  private Scripts() {}

  /**
   * Runs each line of {@code script} in order (never stopping at a failure), printing the line,
   * then its output and error output, then its exit status: {@code $ LINE}, output,
   * {@code [N]}. Lines run in the same shell, so {@code exec 3>file} stays in effect. Every
   * line must be a complete command.
   */
  static String traced(String script) {
    StringBuilder sb = new StringBuilder();
    for (String line : script.strip().split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      sb.append("printf '%s\\n' ").append(Shell.quote("$ " + line.strip())).append('\n')
          .append("{ ").append(line.strip()).append("\n} 2>&1\n")
          .append("echo \"[$?]\"\n");
    }
    return sb.toString();
  }
}
