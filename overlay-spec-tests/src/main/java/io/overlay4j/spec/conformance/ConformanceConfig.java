package io.overlay4j.spec.conformance;

/**
 * What a conformance run checks: the target, jqwik's seed, tries per property and the longest
 * operation sequence. Set by {@link ConformanceRunner} for the suite it launches; a suite class
 * run some other way reads the system properties {@code conformance.target},
 * {@code conformance.seed}, {@code conformance.tries} and {@code conformance.steps}.
 */
public record ConformanceConfig(String target, String seed, int tries, int steps,
    String reference) {
  public static final String DEFAULT_SEED = "20240501";
  public static final int DEFAULT_TRIES = 4;
  public static final int DEFAULT_STEPS = 14;

  /** Without a differential reference. */
  public ConformanceConfig(String target, String seed, int tries, int steps) {
    this(target, seed, tries, steps, null);
  }

  private static volatile ConformanceConfig current;
  private static volatile Targets.Factory factory;
  private static volatile Targets.Factory referenceFactory;

  public static ConformanceConfig fromSystemProperties() {
    return new ConformanceConfig(System.getProperty("conformance.target", "core-memory"),
        System.getProperty("conformance.seed", DEFAULT_SEED),
        Integer.getInteger("conformance.tries", DEFAULT_TRIES),
        Integer.getInteger("conformance.steps", DEFAULT_STEPS),
        System.getProperty("conformance.reference"));
  }

  /** The configuration in force. */
  public static ConformanceConfig get() {
    ConformanceConfig c = current;
    return c != null ? c : fromSystemProperties();
  }

  /** Set between the end of a runner's run and the next: no new sessions then. */
  private static volatile boolean runOver;

  static boolean runOver() {
    return runOver;
  }

  static void endRun() {
    runOver = true;
  }

  static synchronized void set(ConformanceConfig c) {
    runOver = false;
    current = c;
    factory = null;
    referenceFactory = null;
  }

  /** The factory of the configured target. */
  static synchronized Targets.Factory factory() {
    if (factory == null) {
      factory = Targets.of(get().target());
    }
    return factory;
  }

  /** The factory of the differential reference, or null when the run is not differential. */
  static synchronized Targets.Factory referenceFactory() {
    if (referenceFactory == null && get().reference() != null) {
      referenceFactory = Targets.of(get().reference());
    }
    return referenceFactory;
  }
}
