package io.overlay4j.core.config;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/** Shared assertions for the config tests. */
final class ConfigAssertions {
  private ConfigAssertions() {}

  /** Asserts that parsing fails and that the message contains every fragment. */
  static OverlayConfigException refused(String options, String... fragments) {
    return assertFails(() -> OverlayConfig.parse(options), fragments);
  }

  /** Asserts that {@code action} throws OverlayConfigException whose message has every fragment. */
  static OverlayConfigException assertFails(Executable action, String... fragments) {
    OverlayConfigException e = assertThrows(OverlayConfigException.class, action);
    for (String f : fragments) {
      assertTrue(
          e.getMessage().contains(f),
          () -> "message \"" + e.getMessage() + "\" should contain \"" + f + "\"");
    }
    return e;
  }

  /** Asserts that some warning contains every fragment. */
  static void assertWarning(OverlayConfig c, String... fragments) {
    List<String> ws = c.warnings();
    boolean found =
        ws.stream()
            .anyMatch(
                w -> {
                  for (String f : fragments) {
                    if (!w.contains(f)) {
                      return false;
                    }
                  }
                  return true;
                });
    assertTrue(found, () -> "no warning with " + List.of(fragments) + " in " + ws);
  }

  static List<Path> paths(String... ps) {
    return java.util.Arrays.stream(ps).map(Path::of).collect(java.util.stream.Collectors.toList());
  }
}
