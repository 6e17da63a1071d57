package io.overlay4j.fuse;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/** Requests served, by type: how many, how many failed, and their latency. */
final class RequestStats {
  private static final class PerType {
    final LongAdder count = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder totalNanos = new LongAdder();
    final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);
  }

  private final ConcurrentHashMap<String, PerType> byType = new ConcurrentHashMap<>();

  void record(String type, long startNanos, boolean failed) {
    long elapsed = System.nanoTime() - startNanos;
    PerType p = byType.computeIfAbsent(type, t -> new PerType());
    p.count.increment();
    p.totalNanos.add(elapsed);
    p.maxNanos.accumulate(elapsed);
    if (failed) {
      p.errors.increment();
    }
  }

  /** type → {count, errors, mean_us, max_us}, sorted by type. */
  Map<String, Map<String, Number>> snapshot() {
    Map<String, Map<String, Number>> out = new LinkedHashMap<>();
    byType.keySet().stream().sorted().forEach(t -> {
      PerType p = byType.get(t);
      long n = p.count.sum();
      Map<String, Number> m = new LinkedHashMap<>();
      m.put("count", n);
      m.put("errors", p.errors.sum());
      m.put("mean_us", n == 0 ? 0 : p.totalNanos.sum() / n / 1000.0);
      m.put("max_us", p.maxNanos.get() / 1000.0);
      out.put(t, m);
    });
    return out;
  }
}
