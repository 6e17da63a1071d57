package io.overlay4j.spec.conformance;

/**
 * What a conformance run checks: the target, jqwik's seed, tries per property and the longest
 * operation sequence. Set by {@link ConformanceRunner} for the suite it launches; a suite class
 * run some other way reads the system properties {@code conformance.target},
 * {@code conformance.seed}, {@code conformance.tries} and {@code conformance.steps}.
 */
public record ConformanceConfig(String target, String seed, int tries, int steps) {
  public static final String DEFAULT_SEED = "20240501";
  public static final int DEFAULT_TRIES = 4;
  public static final int DEFAULT_STEPS = 14;

  private static volatile ConformanceConfig current;
  private static volatile Targets.Factory factory;

  public static ConformanceConfig fromSystemProperties() {
    return new ConformanceConfig(System.getProperty("conformance.target", "core-memory"),
        System.getProperty("conformance.seed", DEFAULT_SEED),
        Integer.getInteger("conformance.tries", DEFAULT_TRIES),
        Integer.getInteger("conformance.steps", DEFAULT_STEPS));
  }

  /** The configuration in force. */
  public static ConformanceConfig get() {
    ConformanceConfig c = current;
    return c != null ? c : fromSystemProperties();
  }

  static synchronized void set(ConformanceConfig c) {
    current = c;
    factory = null;
  }

  /** The factory of the configured target. */
  static synchronized Targets.Factory factory() {
    if (factory == null) {
      factory = Targets.of(get().target());
    }
    return factory;
  }
}
