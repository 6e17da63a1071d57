package io.overlay4j.core.config;

import static io.overlay4j.core.config.ConfigAssertions.assertWarning;
import static io.overlay4j.core.config.ConfigAssertions.paths;
import static io.overlay4j.core.config.ConfigAssertions.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlay4j.core.Errno;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Parsing of the kernel's option string: syntax, escapes, layers, last-wins, refusals. */
class OverlayConfigParseTest {

  @Nested
  class Defaults {
    @Test
    void readOnlyOverlayHasTheKernelDefaultsOfThisMachine() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/a:/b");
      assertEquals(paths("/a", "/b"), c.lowerDirs());
      assertEquals(List.of(), c.dataDirs());
      assertEquals(Optional.empty(), c.upperDir());
      assertEquals(Optional.empty(), c.workDir());
      assertTrue(c.readOnly());
      assertEquals(RedirectDir.FOLLOW, c.redirectDir());
      assertFalse(c.metacopy());
      assertEquals(Xino.OFF, c.xino());
      assertFalse(c.index());
      assertEquals(Uuid.AUTO, c.uuid());
      assertFalse(c.nfsExport());
      assertFalse(c.volatileMode());
      assertFalse(c.userXattr());
      assertFalse(c.defaultPermissions());
      assertEquals(WhiteoutFormat.KERNEL, c.whiteoutFormat());
      assertEquals(65536, c.lookupCacheSize());
      assertEquals(List.of(), c.warnings());
    }

    @Test
    void upperAndWorkMakeItWritable() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/l,upperdir=/u,workdir=/w");
      assertEquals(paths("/l"), c.lowerDirs());
      assertEquals(Optional.of(Path.of("/u")), c.upperDir());
      assertEquals(Optional.of(Path.of("/w")), c.workDir());
      assertFalse(c.readOnly());
      assertEquals(RedirectDir.FOLLOW, c.redirectDir());
    }

    @Test
    void firstLowerIsTopmost() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/top:/middle:/bottom");
      assertEquals(Path.of("/top"), c.lowerDirs().get(0));
      assertEquals(Path.of("/bottom"), c.lowerDirs().get(2));
    }

    @Test
    void relativePathsResolveAgainstTheCurrentDirectory() {
      Path cwd = Path.of("").toAbsolutePath();
      OverlayConfig c = OverlayConfig.parse("lowerdir=rel1:sub/rel2,upperdir=u,workdir=./w");
      assertEquals(List.of(cwd.resolve("rel1"), cwd.resolve("sub/rel2")), c.lowerDirs());
      assertEquals(cwd.resolve("u"), c.upperDir().get());
      assertEquals(cwd.resolve("./w"), c.workDir().get());
      assertTrue(c.lowerDirs().get(0).isAbsolute());
    }
  }

  @Nested
  class Escapes {
    @Test
    void escapedCommaInLowerdir() {
      assertEquals(paths("/a,b", "/c"), OverlayConfig.parse("lowerdir=/a\\,b:/c").lowerDirs());
    }

    @Test
    void escapedColonInLowerdir() {
      assertEquals(paths("/a:b", "/c"), OverlayConfig.parse("lowerdir=/a\\:b:/c").lowerDirs());
    }

    @Test
    void escapedBackslashInLowerdir() {
      assertEquals(paths("/a\\b", "/c"), OverlayConfig.parse("lowerdir=/a\\\\b:/c").lowerDirs());
    }

    @Test
    void escapedColonAtTheEnd() {
      assertEquals(paths("/a", "/b:"), OverlayConfig.parse("lowerdir=/a:/b\\:").lowerDirs());
    }

    @Test
    void escapedCommaAtTheEnd() {
      assertEquals(paths("/a", "/b,"), OverlayConfig.parse("lowerdir=/a:/b\\,").lowerDirs());
    }

    @Test
    void escapedBackslashAtTheEnd() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/a:/b\\\\");
      assertEquals(paths("/a", "/b\\"), c.lowerDirs());
      assertEquals(List.of(), c.warnings());
    }

    @Test
    void danglingBackslashAtTheEndIsDroppedWithAWarning() {
      // The kernel's ovl_unescape() drops it too ("lowerdir=l1:l2\" mounts l2).
      OverlayConfig c = OverlayConfig.parse("lowerdir=/a:/b\\");
      assertEquals(paths("/a", "/b"), c.lowerDirs());
      assertWarning(c, "lowerdir", "'\\'", "\"/b\\\"");
    }

    @Test
    void backslashBeforeAnOrdinaryCharacterIsDropped() {
      assertEquals(paths("/ab", "/c"), OverlayConfig.parse("lowerdir=/a\\b:/c").lowerDirs());
    }

    @Test
    void escapesInUpperdirAndWorkdir() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/l,upperdir=/u\\,1,workdir=/w\\:2\\\\");
      assertEquals(Path.of("/u,1"), c.upperDir().get());
      assertEquals(Path.of("/w:2\\"), c.workDir().get());
    }

    @Test
    void escapedCommaDoesNotEndTheOption() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/a\\,upperdir=/x:/b");
      assertEquals(paths("/a,upperdir=/x", "/b"), c.lowerDirs());
      assertEquals(Optional.empty(), c.upperDir());
    }

    @Test
    void onlyTheFirstEqualsSignSeparatesTheValue() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/l,upperdir=/u=1,workdir=/w==");
      assertEquals(Path.of("/u=1"), c.upperDir().get());
      assertEquals(Path.of("/w=="), c.workDir().get());
    }

    @Test
    void lowerdirPlusTakesThePathVerbatimLikeTheKernel() {
      // Kernel 6.18: "lowerdir+=c\,1" tries the path 'c\,1'; "lowerdir+=c:2" mounts "c:2".
      OverlayConfig c = OverlayConfig.parse("lowerdir+=/a\\,b,lowerdir+=/c:d,datadir+=/e\\\\f");
      assertEquals(paths("/a\\,b", "/c:d"), c.lowerDirs());
      assertEquals(paths("/e\\\\f"), c.dataDirs());
      assertWarning(c, "lowerdir+=/a\\,b: the path is taken verbatim");
      assertWarning(c, "datadir+=/e\\\\f: the path is taken verbatim");
    }
  }

  @Nested
  class Layers {
    @Test
    void doubleColonStartsDataOnlyLayers() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/l1:/l2::/d1::/d2");
      assertEquals(paths("/l1", "/l2"), c.lowerDirs());
      assertEquals(paths("/d1", "/d2"), c.dataDirs());
    }

    @Test
    void dataOnlyLayersDoNotNeedMetacopyOnThisKernel() {
      // Kernel 6.18 mounts "lowerdir=l1::d1,upperdir=u,workdir=w" (the metacopy requirement of
      // 6.5-6.14 is gone upstream).
      OverlayConfig c = OverlayConfig.parse("lowerdir=/l1::/d1,upperdir=/u,workdir=/w");
      assertFalse(c.metacopy());
      assertEquals(paths("/d1"), c.dataDirs());
    }

    @Test
    void dataOnlyLayerCountsTowardsTheTwoLayersOfAReadOnlyOverlay() {
      // "lowerdir=l1::d1" mounts read-only on kernel 6.18.
      OverlayConfig c = OverlayConfig.parse("lowerdir=/l1::/d1");
      assertTrue(c.readOnly());
      assertEquals(1, c.lowerDirs().size());
      assertEquals(1, c.dataDirs().size());
    }

    @Test
    void lowerdirPlusAppendsOneLayerEach() {
      OverlayConfig c = OverlayConfig.parse("lowerdir+=/a,lowerdir+=/b,lowerdir+=/c");
      assertEquals(paths("/a", "/b", "/c"), c.lowerDirs());
    }

    @Test
    void datadirPlusAppendsDataOnlyLayers() {
      OverlayConfig c = OverlayConfig.parse("lowerdir+=/a,datadir+=/d1,datadir+=/d2");
      assertEquals(paths("/a"), c.lowerDirs());
      assertEquals(paths("/d1", "/d2"), c.dataDirs());
    }

    @Test
    void lowerdirAfterLowerdirPlusReplacesAllLayers() {
      // Kernel: "lowerdir+=l2,lowerdir=l1:l3" mounts lowerdir=l1:l3.
      OverlayConfig c = OverlayConfig.parse("lowerdir+=/x,datadir+=/d,lowerdir=/a:/b");
      assertEquals(paths("/a", "/b"), c.lowerDirs());
      assertEquals(List.of(), c.dataDirs());
    }

    @Test
    void emptyLowerdirResetsAndAllowsLowerdirPlusAgain() {
      // Kernel: "lowerdir=,lowerdir+=l1,lowerdir+=l2" mounts.
      OverlayConfig c = OverlayConfig.parse("lowerdir=/a:/b,lowerdir=,lowerdir+=/c,lowerdir+=/d");
      assertEquals(paths("/c", "/d"), c.lowerDirs());
    }

    @Test
    void fiveHundredLayersAreAllowed() {
      StringBuilder sb = new StringBuilder("lowerdir=/l0");
      for (int i = 1; i < 500; i++) {
        sb.append(":/l").append(i);
      }
      assertEquals(500, OverlayConfig.parse(sb.toString()).lowerDirs().size());
    }
  }

  @Nested
  class LastWins {
    @Test
    void secondLowerdirReplacesTheFirst() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/a:/b,lowerdir=/c:/d::/e");
      assertEquals(paths("/c", "/d"), c.lowerDirs());
      assertEquals(paths("/e"), c.dataDirs());
    }

    @Test
    void secondUpperdirAndWorkdirWin() {
      // Kernel: "...,upperdir=u,workdir=w,upperdir=u2,workdir=w2" mounts u2 and w2.
      OverlayConfig c =
          OverlayConfig.parse("lowerdir=/l,upperdir=/u,workdir=/w,upperdir=/u2,workdir=/w2");
      assertEquals(Path.of("/u2"), c.upperDir().get());
      assertEquals(Path.of("/w2"), c.workDir().get());
    }

    @Test
    void lastValueOfAnEnumOptionWins() {
      OverlayConfig c =
          OverlayConfig.parse(
              "lowerdir=/a:/b,redirect_dir=on,redirect_dir=nofollow,xino=on,xino=auto,uuid=null,"
                  + "uuid=off,whiteout=oci,whiteout=kernel,lookup_cache=5,lookup_cache=7");
      assertEquals(RedirectDir.NOFOLLOW, c.redirectDir());
      assertEquals(Xino.AUTO, c.xino());
      assertEquals(Uuid.OFF, c.uuid());
      assertEquals(WhiteoutFormat.KERNEL, c.whiteoutFormat());
      assertEquals(7, c.lookupCacheSize());
    }

    @Test
    void metacopyOffAfterOnLeavesNoImpliedRedirect() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/l,upperdir=/u,workdir=/w,metacopy=on,metacopy=off");
      assertFalse(c.metacopy());
      assertEquals(RedirectDir.FOLLOW, c.redirectDir());
    }

    @Test
    void roAndRwLastWins() {
      assertTrue(OverlayConfig.parse("lowerdir=/l,upperdir=/u,workdir=/w,rw,ro").readOnly());
      assertFalse(OverlayConfig.parse("lowerdir=/l,upperdir=/u,workdir=/w,ro,rw").readOnly());
    }
  }

  @Nested
  class Flags {
    @Test
    void everyFlagAndValue() {
      OverlayConfig c =
          OverlayConfig.parse(
              "lowerdir=/l,upperdir=/u,workdir=/w,volatile,default_permissions,xino=on,uuid=null,"
                  + "index=on,whiteout=oci,lookup_cache=0");
      assertTrue(c.volatileMode());
      assertTrue(c.defaultPermissions());
      assertEquals(Xino.ON, c.xino());
      assertEquals(Uuid.NULL, c.uuid());
      assertTrue(c.index());
      assertEquals(WhiteoutFormat.OCI, c.whiteoutFormat());
      assertEquals(0, c.lookupCacheSize());
      assertEquals(List.of(), c.warnings());
    }

    @Test
    void everyRedirectDirValue() {
      for (RedirectDir r : RedirectDir.values()) {
        OverlayConfig c = OverlayConfig.parse("lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=" + r.optionValue());
        assertEquals(r, c.redirectDir());
      }
    }

    @Test
    void everyUuidAndXinoValue() {
      for (Uuid u : Uuid.values()) {
        assertEquals(u, OverlayConfig.parse("lowerdir=/l,upperdir=/u,workdir=/w,uuid=" + u.optionValue()).uuid());
      }
      for (Xino x : Xino.values()) {
        assertEquals(x, OverlayConfig.parse("lowerdir=/a:/b,xino=" + x.optionValue()).xino());
      }
    }

    @Test
    void roWithUpperIsReadOnlyAndRwWithoutUpperIsStillReadOnly() {
      // Kernel: "...,upperdir=u,workdir=w,ro" mounts ro; "lowerdir=l1:l2,rw" mounts ro.
      assertTrue(OverlayConfig.parse("lowerdir=/l,upperdir=/u,workdir=/w,ro").readOnly());
      assertTrue(OverlayConfig.parse("lowerdir=/a:/b,rw").readOnly());
    }

    @Test
    void emptyOptionsAreIgnored() {
      assertEquals(
          OverlayConfig.parse("lowerdir=/a:/b,xino=auto"),
          OverlayConfig.parse(",lowerdir=/a:/b,,xino=auto,"));
    }

    @Test
    void optionWithoutNameIsIgnoredWithAWarning() {
      // The kernel (vfs_parse_monolithic_sep) skips "=x" silently.
      OverlayConfig c = OverlayConfig.parse("lowerdir=/a:/b,=x");
      assertEquals(OverlayConfig.parse("lowerdir=/a:/b"), c);
      assertWarning(c, "\"=x\"", "no name");
    }
  }

  @Nested
  class Refusals {
    @Test
    void trailingColon() {
      refused("lowerdir=a:b:", "lowerdir: trailing ':' in \"a:b:\"");
    }

    @Test
    void threeColons() {
      refused("lowerdir=/a:::/b", "lowerdir: \":::\" in \"/a:::/b\"", "'::'");
    }

    @Test
    void leadingColon() {
      refused("lowerdir=:/a", "lowerdir: must not start with ':' in \":/a\"", "lowerdir+=");
    }

    @Test
    void leadingDoubleColon() {
      refused("lowerdir=::/d", "must not start with ':'");
    }

    @Test
    void regularLayerAfterDataLayers() {
      refused(
          "lowerdir=/l1::/d1:/l2",
          "regular lower layers cannot follow data-only layers",
          "\"/l1::/d1:/l2\"");
    }

    @Test
    void emptyLayerPath() {
      refused("lowerdir=/a:\\", "lowerdir: empty layer path \"\\\" in \"/a:\\\"");
    }

    @Test
    void emptyLowerdir() {
      refused("lowerdir=", "missing lowerdir");
    }

    @Test
    void noOptionsAtAll() {
      refused("", "missing lowerdir");
    }

    @Test
    void nullString() {
      ConfigAssertions.assertFails(() -> OverlayConfig.parse((String) null), "null");
    }

    @Test
    void lowerdirWithoutValue() {
      refused("lowerdir", "lowerdir: missing value");
    }

    @Test
    void onlyUpperAndWork() {
      refused("upperdir=/u,workdir=/w", "missing lowerdir");
    }

    @Test
    void singleLowerWithoutUpper() {
      OverlayConfigException e =
          refused("lowerdir=/a", "lowerdir /a: a read-only overlay (no upperdir) needs at least 2 lower layers");
      assertEquals(Optional.of("lowerdir"), e.option());
      assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void secondSingleLowerdirStillNeedsTwo() {
      refused("lowerdir=/a:/b,lowerdir=/c", "needs at least 2 lower layers");
    }

    @Test
    void upperWithoutWork() {
      refused("lowerdir=/l,upperdir=/u", "missing workdir: upperdir /u needs workdir=");
    }

    @Test
    void onlyDataLayers() {
      refused("datadir+=/d1,datadir+=/d2", "only data-only layers given (/d1, ...)", "regular lower layer");
    }

    @Test
    void lowerdirPlusAfterLowerdir() {
      refused("lowerdir=/a,lowerdir+=/b", "lowerdir+=/b: lowerdir+ and datadir+ cannot follow lowerdir=");
    }

    @Test
    void datadirPlusAfterLowerdir() {
      refused("lowerdir=/a:/b,datadir+=/d", "datadir+=/d: lowerdir+ and datadir+ cannot follow lowerdir=");
    }

    @Test
    void lowerdirPlusAfterDatadirPlus() {
      refused(
          "lowerdir+=/a,datadir+=/d,lowerdir+=/b",
          "lowerdir+=/b: regular lower layers cannot follow data-only layers (datadir+=/d came first)");
    }

    @Test
    void lowerdirPlusWithoutValue() {
      refused("lowerdir+=,lowerdir+=/a", "lowerdir+: missing value");
    }

    @Test
    void tooManyLayersInLowerdir() {
      StringBuilder sb = new StringBuilder("lowerdir=/l0");
      for (int i = 1; i <= 500; i++) {
        sb.append(":/l").append(i);
      }
      refused(sb.toString(), "too many lower layers (501); the limit is 500");
    }

    @Test
    void tooManyLayersWithLowerdirPlus() {
      StringBuilder sb = new StringBuilder("lowerdir+=/l0");
      for (int i = 1; i <= 500; i++) {
        sb.append(",lowerdir+=/l").append(i);
      }
      refused(sb.toString(), "too many lower layers; the limit is 500");
    }

    @Test
    void unknownOption() {
      OverlayConfigException e = refused("lowerdir=/a:/b,foo", "unknown option \"foo\"");
      assertEquals(Optional.of("foo"), e.option());
    }

    @Test
    void unknownOptionCloseToAKnownOne() {
      refused("lowerdirs=/a:/b", "unknown option \"lowerdirs\"; did you mean \"lowerdir\"?");
    }

    @Test
    void noFarFetchedSuggestion() {
      OverlayConfigException e = refused("lowerdir=/a:/b,foo", "unknown option \"foo\"");
      assertFalse(e.getMessage().contains("did you mean"), e.getMessage());
      refused("lowerdir=/a:/b,uperdir=/u", "did you mean \"upperdir\"?");
    }

    @Test
    void optionNamesAreCaseSensitive() {
      refused("LOWERDIR=/a:/b", "unknown option \"LOWERDIR\"", "lower case");
    }

    @Test
    void badOnOffValue() {
      refused("lowerdir=/a:/b,metacopy=yes", "metacopy: bad value \"yes\"; expected on or off");
    }

    @Test
    void valuesAreCaseSensitive() {
      refused("lowerdir=/a:/b,redirect_dir=ON", "redirect_dir: bad value \"ON\"", "lower case");
    }

    @Test
    void badRedirectDir() {
      refused("lowerdir=/a:/b,redirect_dir=yes", "expected one of on, follow, nofollow, off");
    }

    @Test
    void badXinoUuidIndexNfsExport() {
      refused("lowerdir=/a:/b,xino=maybe", "xino: bad value \"maybe\"; expected one of on, off, auto");
      refused("lowerdir=/a:/b,uuid=1", "uuid: bad value \"1\"; expected one of on, off, auto, null");
      refused("lowerdir=/a:/b,index=true", "index: bad value \"true\"");
      refused("lowerdir=/a:/b,nfs_export=", "nfs_export: bad value \"\"");
    }

    @Test
    void enumWithoutValue() {
      refused("lowerdir=/a:/b,metacopy", "metacopy: missing value; expected metacopy=on or off");
    }

    @Test
    void flagWithValue() {
      refused("lowerdir=/a:/b,volatile=on", "volatile: takes no value (got volatile=on)");
      refused("lowerdir=/a:/b,userxattr=", "userxattr: takes no value");
    }

    @Test
    void upperdirWithoutValue() {
      refused("lowerdir=/a:/b,upperdir=", "upperdir: missing value");
      refused("lowerdir=/a:/b,upperdir", "upperdir: missing value");
    }

    @Test
    void upperdirThatUnescapesToNothing() {
      refused("lowerdir=/l,workdir=/w,upperdir=\\", "upperdir: empty path \"\\\"");
    }

    @Test
    void pathWithNulCharacter() {
      refused("lowerdir=/l,upperdir=/a\0b,workdir=/w", "upperdir: invalid path");
    }

    @Test
    void verityIsNotSupported() {
      refused("lowerdir=/a:/b,verity=on", "verity: not supported by overlay4j");
    }

    @Test
    void badWhiteoutFormat() {
      refused("lowerdir=/a:/b,whiteout=aufs", "whiteout: bad value \"aufs\"; expected one of kernel, oci");
    }

    @Test
    void badLookupCacheSizes() {
      refused("lowerdir=/a:/b,lookup_cache=-1", "lookup_cache: bad value \"-1\"");
      refused("lowerdir=/a:/b,lookup_cache=1k", "lookup_cache: bad value \"1k\"");
      refused("lowerdir=/a:/b,lookup_cache=99999999999", "lookup_cache: 99999999999 is too large");
      refused("lowerdir=/a:/b,lookup_cache", "lookup_cache: missing value");
    }

    @Test
    void sameLowerTwice() {
      OverlayConfigException e = refused("lowerdir=/a:/a", "lowerdir /a is given twice");
      assertEquals(Errno.ELOOP, e.errno());
    }

    @Test
    void sameLowerTwiceWithDotSegment() {
      refused("lowerdir=/a/./b:/a/b", "lowerdir /a/b is given twice");
    }

    @Test
    void dataLayerAlsoALowerLayer() {
      refused("lowerdir=/a:/b::/a", "data-only layer /a is also a lowerdir");
    }

    @Test
    void lowerAlsoUpper() {
      refused("lowerdir=/a:/b,upperdir=/a,workdir=/w", "lowerdir /a is also the upperdir");
    }

    @Test
    void lowerAlsoWork() {
      refused("lowerdir=/a:/w,upperdir=/u,workdir=/w", "lowerdir /w is also the workdir");
    }

    @Test
    void workdirSameAsUpperdir() {
      refused("lowerdir=/l,upperdir=/u,workdir=/u/", "workdir /u is the same directory as upperdir /u");
    }
  }
}
