package io.overlay4j.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** Properties of the parser: escapes round-trip, option strings round-trip, failures are typed. */
class OverlayConfigPropertiesTest {

  /** Path-ish text rich in the characters the syntax treats specially. */
  @Provide
  Arbitrary<String> pathish() {
    return Arbitraries.strings()
        .withChars(':', ',', '\\', '=', '/', '.', ' ', 'a', 'b', 'z', '-', '_', 'é', '+')
        .ofMinLength(0)
        .ofMaxLength(12);
  }

  @Property
  void escapeThenUnescapeIsIdentity(@ForAll("pathish") String s) {
    assertEquals(s, OptionSyntax.unescape(OptionSyntax.escape(s), () -> {
      throw new AssertionError("escape() left a dangling backslash in " + s);
    }));
  }

  @Property
  void escapedTextIsOneOptionAndOneLayer(@ForAll("pathish") @StringLength(min = 1) String s) {
    String e = OptionSyntax.escape(s);
    assertEquals(List.of(e), OptionSyntax.splitOptions(e));
    OptionSyntax.LowerSpec spec = OptionSyntax.splitLowerdir(e);
    assertEquals(List.of(e), spec.regular);
    assertEquals(List.of(), spec.data);
  }

  @Provide
  Arbitrary<OverlayConfig> configs() {
    Arbitrary<List<String>> lowers = pathish().list().ofMinSize(1).ofMaxSize(4);
    Arbitrary<List<String>> datas = pathish().list().ofMaxSize(2);
    Arbitrary<String> upper = pathish().injectNull(0.3);
    Arbitrary<RedirectDir> redirect = Arbitraries.of(RedirectDir.class).injectNull(0.5);
    Arbitrary<Boolean> bool = Arbitraries.of(true, false);
    Arbitrary<Tuple.Tuple4<Xino, Uuid, WhiteoutFormat, Integer>> misc =
        Combinators.combine(
                Arbitraries.of(Xino.class),
                Arbitraries.of(Uuid.class),
                Arbitraries.of(WhiteoutFormat.class),
                Arbitraries.integers().between(0, 1 << 20))
            .as(Tuple::of);
    Arbitrary<List<Boolean>> flags = bool.list().ofSize(6);
    return Combinators.combine(lowers, datas, upper, redirect, misc, flags)
        .as(
            (ls, ds, up, rd, m, f) -> {
              OverlayConfig.Builder b = OverlayConfig.builder();
              // Distinct prefixes keep the layers distinct directories.
              for (int i = 0; i < ls.size(); i++) {
                b.addLowerDir(Path.of("/l" + i + "/" + ls.get(i)));
              }
              for (int i = 0; i < ds.size(); i++) {
                b.addDataDir(Path.of("/d" + i + "/" + ds.get(i)));
              }
              if (up != null) {
                b.upperDir(Path.of("/u/" + up)).workDir(Path.of("/w/" + up));
              } else if (ls.size() + ds.size() < 2) {
                b.addDataDir(Path.of("/extra"));
              }
              b.redirectDir(rd)
                  .xino(m.get1())
                  .uuid(m.get2())
                  .whiteoutFormat(m.get3())
                  .lookupCacheSize(m.get4())
                  .metacopy(f.get(0))
                  .index(f.get(1))
                  .volatileMode(f.get(2))
                  .userXattr(f.get(3) && f.get(0) == Boolean.FALSE)
                  .defaultPermissions(f.get(4))
                  .readOnly(f.get(5));
              try {
                return b.build();
              } catch (OverlayConfigException conflict) {
                // metacopy with an explicit non-"on" redirect: drop the redirect.
                return b.redirectDir(null).build();
              }
            });
  }

  @Property(tries = 500)
  void optionStringRoundTrips(@ForAll("configs") OverlayConfig c) {
    String s = c.toOptionString();
    assertEquals(c, OverlayConfig.parse(s), s);
    assertEquals(c, OverlayConfig.parse(Map.of("options", s)), s);
  }

  @Property(tries = 300)
  void pathsWithSpecialCharactersRoundTrip(
      @ForAll("pathish") String a, @ForAll("pathish") String b, @ForAll("pathish") String u) {
    OverlayConfig c =
        OverlayConfig.builder()
            .lowerDirs(Path.of("/1/" + a), Path.of("/2/" + b))
            .upperDir(Path.of("/3/" + u))
            .workDir(Path.of("/4/" + u))
            .build();
    assertEquals(c, OverlayConfig.parse(c.toOptionString()));
    assertEquals(Path.of("/1/" + a), OverlayConfig.parse(c.toOptionString()).lowerDirs().get(0));
  }

  /** Fragments of option syntax, to reach deep into the parser. */
  @Provide
  Arbitrary<String> optionSoup() {
    Arbitrary<String> token =
        Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.of(
                "lowerdir=", "lowerdir+=", "datadir+=", "upperdir=", "workdir=", "redirect_dir=",
                "metacopy=", "xino=", "index=", "uuid=", "nfs_export=", "volatile", "userxattr",
                "default_permissions", "ro", "rw", "whiteout=", "lookup_cache=", "verity=", "on",
                "off", "follow", "nofollow", "auto", "null", "oci", "kernel", "65536", "-1",
                "/a", "/b", "/c", "rel", "/a/./b", "/u", "/w", "..")),
            Tuple.of(5, Arbitraries.of(":", "::", ":::", ",", "\\", "\\,", "\\:", "\\\\", "=", "+")),
            Tuple.of(1, Arbitraries.strings().ofMaxLength(4)));
    return token.list().ofMaxSize(16).map(ts -> String.join("", ts));
  }

  @Property(tries = 2000)
  void parserFailsOnlyWithOverlayConfigException(@ForAll("optionSoup") String options) {
    parsesOrExplains(options);
  }

  /**
   * Plausible option lists: each option's value is mostly one it accepts, sometimes not, and
   * paths are made of fragments rich in ':' and escapes.
   */
  @Provide
  Arbitrary<String> optionLists() {
    Arbitrary<String> fragment =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.of("/a", "/b", "/c", "/d", "/u", "/w", "rel", "/x y")),
            Tuple.of(3, Arbitraries.of(":", "::", "\\,", "\\:", "\\\\", "\\")));
    Arbitrary<String> path = fragment.list().ofMinSize(1).ofMaxSize(4).map(fs -> String.join("", fs));
    Arbitrary<String> junk = Arbitraries.of("", "ON", "yes", "/a", "-1", "1k");
    Arbitrary<String> option =
        Arbitraries.of(
                "lowerdir", "lowerdir", "lowerdir+", "datadir+", "upperdir", "workdir",
                "redirect_dir", "metacopy", "xino", "index", "uuid", "nfs_export", "volatile",
                "userxattr", "default_permissions", "ro", "rw", "whiteout", "lookup_cache")
            .flatMap(
                n -> {
                  Arbitrary<String> good;
                  switch (n) {
                    case "redirect_dir":
                      good = Arbitraries.of("on", "follow", "nofollow", "off");
                      break;
                    case "metacopy":
                    case "index":
                    case "nfs_export":
                      good = Arbitraries.of("on", "off");
                      break;
                    case "xino":
                      good = Arbitraries.of("on", "off", "auto");
                      break;
                    case "uuid":
                      good = Arbitraries.of("on", "off", "auto", "null");
                      break;
                    case "whiteout":
                      good = Arbitraries.of("kernel", "oci");
                      break;
                    case "lookup_cache":
                      good = Arbitraries.integers().between(0, 100000).map(String::valueOf);
                      break;
                    case "volatile":
                    case "userxattr":
                    case "default_permissions":
                    case "ro":
                    case "rw":
                      return Arbitraries.frequencyOf(
                          Tuple.of(15, Arbitraries.just(n)), Tuple.of(1, junk.map(j -> n + "=" + j)));
                    default:
                      good = path;
                  }
                  return Arbitraries.frequencyOf(Tuple.of(15, good), Tuple.of(1, junk))
                      .map(v -> n + "=" + v);
                });
    return Combinators.combine(
            option.list().ofMinSize(1).ofMaxSize(6), Arbitraries.of("", "lowerdir=/l1:/l2,"))
        .as((opts, prefix) -> prefix + String.join(",", opts));
  }

  @Property(tries = 2000)
  void parserFailsOnlyWithOverlayConfigExceptionOnOptionLists(
      @ForAll("optionLists") String options) {
    parsesOrExplains(options);
  }

  @Property(tries = 1000)
  void parserFailsOnlyWithOverlayConfigExceptionOnArbitraryText(
      @ForAll @StringLength(max = 60) String options) {
    parsesOrExplains(options);
    parsesOrExplains("lowerdir=/a:/b," + options);
  }

  @Property(tries = 300)
  void mapFormFailsOnlyWithOverlayConfigException(
      @ForAll @Size(max = 4) List<@StringLength(max = 8) String> keys,
      @ForAll("optionSoup") String value) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    List<String> known = new ArrayList<>(OptionParser.KNOWN);
    for (int i = 0; i < keys.size(); i++) {
      m.put(i % 2 == 0 ? known.get(Math.abs(keys.get(i).hashCode()) % known.size()) : keys.get(i), value);
    }
    try {
      OverlayConfig c = OverlayConfig.parse(m);
      assertEquals(c, OverlayConfig.parse(c.toOptionString()));
    } catch (OverlayConfigException e) {
      assertMessage(e);
    }
  }

  private static void parsesOrExplains(String options) {
    OverlayConfig c;
    try {
      c = OverlayConfig.parse(options);
    } catch (OverlayConfigException e) {
      assertMessage(e);
      Statistics.collect("refused: " + e.option().orElse("(combination)"));
      return;
    }
    Statistics.collect("parsed");
    // Whatever parses also round-trips.
    assertEquals(c, OverlayConfig.parse(c.toOptionString()), options);
  }

  private static void assertMessage(OverlayConfigException e) {
    if (e.getMessage() == null || e.getMessage().isBlank()) {
      throw new AssertionError("OverlayConfigException without a message", e);
    }
  }
}
