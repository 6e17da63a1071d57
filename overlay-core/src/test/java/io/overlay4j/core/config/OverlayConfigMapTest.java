package io.overlay4j.core.config;

import static io.overlay4j.core.config.ConfigAssertions.assertFails;
import static io.overlay4j.core.config.ConfigAssertions.paths;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The map form of {@link OverlayConfig#parse(Map)}: one option per entry, fsconfig-style. */
class OverlayConfigMapTest {

  private static Map<String, String> map(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void oneOptionPerEntry() {
    OverlayConfig c =
        OverlayConfig.parse(
            map("lowerdir", "/l1:/l2::/d", "upperdir", "/u", "workdir", "/w", "volatile", null,
                "userxattr", "", "xino", "auto"));
    assertEquals(
        OverlayConfig.parse("lowerdir=/l1:/l2::/d,upperdir=/u,workdir=/w,volatile,userxattr,xino=auto"),
        c);
    assertTrue(c.volatileMode());
    assertTrue(c.userXattr());
  }

  @Test
  void commasNeedNoEscapeButOtherEscapesApply() {
    OverlayConfig c =
        OverlayConfig.parse(map("lowerdir", "/a,b:/c\\:d", "upperdir", "/u,1", "workdir", "/w\\,2"));
    assertEquals(paths("/a,b", "/c:d"), c.lowerDirs());
    assertEquals(Path.of("/u,1"), c.upperDir().get());
    assertEquals(Path.of("/w,2"), c.workDir().get());
  }

  @Test
  void wholeOptionStringUnderOptions() {
    OverlayConfig c = OverlayConfig.parse(map("options", "lowerdir=/a:/b,metacopy=on"));
    assertEquals(OverlayConfig.parse("lowerdir=/a:/b,metacopy=on"), c);
  }

  @Test
  void otherEntriesOverrideTheOptionString() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("metacopy", "off"); // applied after "options" whatever the map order
    m.put("options", "lowerdir=/a:/b,metacopy=on");
    OverlayConfig c = OverlayConfig.parse(m);
    assertFalse(c.metacopy());
  }

  @Test
  void lowerdirPlusAndDatadirPlusKeys() {
    OverlayConfig c = OverlayConfig.parse(map("lowerdir+", "/a:b", "datadir+", "/d", "upperdir", "/u", "workdir", "/w"));
    assertEquals(paths("/a:b"), c.lowerDirs());
    assertEquals(paths("/d"), c.dataDirs());
  }

  @Test
  void entriesApplyInIterationOrder() {
    assertFails(
        () -> OverlayConfig.parse(map("lowerdir", "/a:/b", "lowerdir+", "/c")),
        "lowerdir+ and datadir+ cannot follow lowerdir=");
    OverlayConfig c = OverlayConfig.parse(map("lowerdir+", "/c", "lowerdir", "/a:/b"));
    assertEquals(paths("/a", "/b"), c.lowerDirs());
  }

  @Test
  void flagWithAValueIsRefused() {
    assertFails(() -> OverlayConfig.parse(map("lowerdir", "/a:/b", "volatile", "on")), "volatile: takes no value");
  }

  @Test
  void valueOptionWithoutValueIsRefused() {
    assertFails(() -> OverlayConfig.parse(map("lowerdir", "/a:/b", "metacopy", null)), "metacopy: missing value");
    assertFails(() -> OverlayConfig.parse(map("lowerdir", "/l", "upperdir", "")), "upperdir: missing value");
  }

  @Test
  void unknownKeyIsRefused() {
    assertFails(() -> OverlayConfig.parse(map("lowerdir", "/a:/b", "nosuid", null)), "unknown option \"nosuid\"");
  }

  @Test
  void nullOrEmptyKeyIsRefused() {
    Map<String, String> m = new HashMap<>();
    m.put(null, "x");
    assertFails(() -> OverlayConfig.parse(m), "null name");
    assertFails(() -> OverlayConfig.parse(map("lowerdir", "/a:/b", "", "x")), "empty name");
  }

  @Test
  void nullMapIsRefused() {
    assertFails(() -> OverlayConfig.parse((Map<String, String>) null), "null");
  }

  @Test
  void emptyMapHasNoLowerdir() {
    assertFails(() -> OverlayConfig.parse(Map.of()), "missing lowerdir");
  }

  @Test
  void roundTripThroughOptionsKey() {
    OverlayConfig c = OverlayConfig.parse("lowerdir=/a\\,x:/b,upperdir=/u,workdir=/w,index=on");
    assertEquals(c, OverlayConfig.parse(Map.of("options", c.toOptionString())));
  }
}
