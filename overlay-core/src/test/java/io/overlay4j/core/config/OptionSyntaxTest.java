package io.overlay4j.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lexical layer: option splitting, escapes and the lowerdir ':'/'::' grammar. */
class OptionSyntaxTest {

  @Test
  void splitsAtUnescapedCommasOnly() {
    assertEquals(
        List.of("lowerdir=/a\\,b:/c", "upperdir=/u", "volatile"),
        OptionSyntax.splitOptions("lowerdir=/a\\,b:/c,upperdir=/u,volatile"));
  }

  @Test
  void splitKeepsEmptyPiecesAndEscapes() {
    assertEquals(List.of("a", "", "b", ""), OptionSyntax.splitOptions("a,,b,"));
    assertEquals(List.of("a\\\\", "b"), OptionSyntax.splitOptions("a\\\\,b"));
  }

  @Test
  void splitKeepsTrailingBackslash() {
    assertEquals(List.of("a", "b\\"), OptionSyntax.splitOptions("a,b\\"));
  }

  @Test
  void unescapeRemovesOneBackslashBeforeAnyCharacter() {
    List<String> dangling = new ArrayList<>();
    assertEquals("/a,b:c\\d", OptionSyntax.unescape("/a\\,b\\:c\\\\d", () -> dangling.add("x")));
    assertEquals("/ab", OptionSyntax.unescape("/a\\b", () -> dangling.add("x")));
    assertTrue(dangling.isEmpty());
  }

  @Test
  void unescapeDropsDanglingBackslashAndReportsIt() {
    List<String> dangling = new ArrayList<>();
    assertEquals("/a", OptionSyntax.unescape("/a\\", () -> dangling.add("x")));
    assertEquals(1, dangling.size());
  }

  @Test
  void escapedBackslashAtEndIsNotDangling() {
    List<String> dangling = new ArrayList<>();
    assertEquals("/a\\", OptionSyntax.unescape("/a\\\\", () -> dangling.add("x")));
    assertTrue(dangling.isEmpty());
  }

  @Test
  void escapeQuotesBackslashColonAndComma() {
    assertEquals("/a\\:b\\,c\\\\d=e", OptionSyntax.escape("/a:b,c\\d=e"));
  }

  @Test
  void lowerdirSingleColonsSeparateRegularLayers() {
    OptionSyntax.LowerSpec s = OptionSyntax.splitLowerdir("/a:/b:/c");
    assertEquals(List.of("/a", "/b", "/c"), s.regular);
    assertTrue(s.data.isEmpty());
  }

  @Test
  void lowerdirDoubleColonsStartDataLayers() {
    OptionSyntax.LowerSpec s = OptionSyntax.splitLowerdir("/a:/b::/d1::/d2");
    assertEquals(List.of("/a", "/b"), s.regular);
    assertEquals(List.of("/d1", "/d2"), s.data);
  }

  @Test
  void lowerdirEscapedColonsDoNotSeparate() {
    OptionSyntax.LowerSpec s = OptionSyntax.splitLowerdir("/a\\:b:/c\\:\\::/d");
    assertEquals(List.of("/a\\:b", "/c\\:\\:", "/d"), s.regular);
  }

  @Test
  void lowerdirEscapedColonAtEndIsNotTrailing() {
    OptionSyntax.LowerSpec s = OptionSyntax.splitLowerdir("/a:/b\\:");
    assertEquals(List.of("/a", "/b\\:"), s.regular);
  }

  @Test
  void lowerdirRefusesThreeColons() {
    OverlayConfigException e =
        assertThrows(OverlayConfigException.class, () -> OptionSyntax.splitLowerdir("/a:::/b"));
    assertTrue(e.getMessage().contains("\":::\" in \"/a:::/b\""), e.getMessage());
  }

  @Test
  void lowerdirRefusesTrailingDoubleColon() {
    OverlayConfigException e =
        assertThrows(OverlayConfigException.class, () -> OptionSyntax.splitLowerdir("/a::"));
    assertTrue(e.getMessage().startsWith("lowerdir: trailing ':' in \"/a::\""), e.getMessage());
  }
}
