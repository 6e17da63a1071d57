package io.overlay4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The counters of overlay4j servers (what {@code overlay4j stats} shows: the core's lookups,
 * cache hits and misses, copy-ups, bytes copied, whiteouts, and requests by type with their
 * latency), read from the virtual xattr on each mount's root just before it is unmounted and
 * summed over every mount of a run.
 */
final class ServerCounters {
  /** The virtual xattr overlay-fuse answers on the mount root (OverlayFuse.STATS_XATTR). */
  private static final String XATTR = "user.overlay4j.stats";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Long> core = new TreeMap<>();
  private final Map<String, long[]> requests = new TreeMap<>(); // count, errors
  private final Map<String, double[]> latency = new TreeMap<>(); // total us, max us
  private int mounts;
  private String lastError;

  /** Adds the counters of the server mounted at {@code merged}; a failure is remembered. */
  void add(Path merged) {
    try {
      add(readTree(merged));
    } catch (IOException | RuntimeException e) {
      lastError = merged + ": " + e;
    }
  }

  /** What the server mounted at {@code merged} reports, or empty if it does not answer. */
  static Optional<JsonNode> read(Path merged) {
    try {
      return Optional.of(readTree(merged));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * One lgetxattr of the root, as {@code overlay4j stats} reads it: opening the root to read
   * (the JDK's UserDefinedFileAttributeView) would add an open directory to the counters.
   */
  private static JsonNode readTree(Path merged) throws IOException {
    byte[] value = OsAccess.system().getXattr(merged, XATTR);
    if (value == null) {
      throw new IOException(merged + " has no " + XATTR);
    }
    return JSON.readTree(value);
  }

  private synchronized void add(JsonNode root) {
    mounts++;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("core").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      boolean level = e.getKey().equals("cacheSize") || e.getKey().equals("cacheCapacity");
      core.merge(e.getKey(), e.getValue().asLong(), level ? Math::max : Long::sum);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("requests").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode r = e.getValue();
      long n = r.path("count").asLong();
      long[] c = requests.computeIfAbsent(e.getKey(), k -> new long[2]);
      c[0] += n;
      c[1] += r.path("errors").asLong();
      double[] l = latency.computeIfAbsent(e.getKey(), k -> new double[2]);
      l[0] += n * r.path("mean_us").asDouble();
      l[1] = Math.max(l[1], r.path("max_us").asDouble());
    }
  }

  /** The sums (a level such as the cache size: its maximum), or empty if none was read. */
  synchronized Optional<Object> total() {
    if (mounts == 0) {
      return lastError == null ? Optional.empty()
          : Optional.of(Map.of("error", lastError));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("mounts", mounts);
    out.put("core", core);
    Map<String, Object> req = new LinkedHashMap<>();
    requests.forEach((name, c) -> {
      double[] l = latency.get(name);
      req.put(name, Map.of("count", c[0], "errors", c[1],
          "mean_us", c[0] == 0 ? 0.0 : l[0] / c[0], "max_us", l[1]));
    });
    out.put("requests", req);
    if (lastError != null) {
      out.put("last_error", lastError);
    }
    return Optional.of(out);
  }
}
