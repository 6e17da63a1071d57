package io.overlay4j.fuse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code overlay4j stats MERGED}: the counters of a live overlay4j mount (lookups, cache hits
 * and misses, copy-ups, whiteouts, requests by type and their latency), read from a virtual
 * xattr of the mount root.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = "Show the counters of a mounted overlay4j server.")
final class StatsCommand implements Callable<Integer> {
  @Option(names = "--json", description = "Print the raw JSON.")
  boolean json;

  @Parameters(paramLabel = "MERGED")
  Path merged;

  /**
   * The counters of the overlay4j mount at {@code merged}, as JSON: one {@code lgetxattr} of
   * the mount root. Nothing is opened, so the reader is not among the open handles it counts
   * (the JDK's UserDefinedFileAttributeView opens the file to read an xattr: the root would
   * show as an open directory).
   */
  static byte[] read(Path merged) throws IOException {
    byte[] value = OsAccess.system().getXattr(merged, OverlayFuse.STATS_XATTR);
    if (value == null) {
      throw new IOException(merged + " has no " + OverlayFuse.STATS_XATTR
          + ": not served by overlay4j");
    }
    return value;
  }

  @Override
  public Integer call() throws Exception {
    Path dir = merged.toAbsolutePath().normalize();
    if (!MountTable.isOverlay4j(dir)) {
      return MountCommand.error(dir + " is not an overlay4j mount");
    }
    byte[] bytes = read(dir);
    if (json) {
      System.out.println(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
      return 0;
    }
    JsonNode root = new ObjectMapper().readTree(bytes);
    System.out.println("overlay4j " + dir);
    for (Iterator<Map.Entry<String, JsonNode>> it = root.get("core").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      System.out.printf("  %-18s %s%n", e.getKey(), e.getValue().asText());
    }
    System.out.printf("  %-18s %s%n", "open files", root.get("open_files").asText());
    System.out.printf("%n  %-14s %10s %8s %10s %10s%n", "request", "count", "errors", "mean µs",
        "max µs");
    for (Iterator<Map.Entry<String, JsonNode>> it = root.get("requests").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode r = e.getValue();
      System.out.printf("  %-14s %10d %8d %10.1f %10.1f%n", e.getKey(), r.get("count").asLong(),
          r.get("errors").asLong(), r.get("mean_us").asDouble(), r.get("max_us").asDouble());
    }
    return 0;
  }
}
