package io.overlay4j.core.config;

import static io.overlay4j.core.config.ConfigAssertions.assertFails;
import static io.overlay4j.core.config.ConfigAssertions.assertWarning;
import static io.overlay4j.core.config.ConfigAssertions.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * How options fit together: fs/overlayfs/params.c ovl_fs_params_verify() on kernel 6.18, each
 * case also tried with a real "mount -t overlay" on the reference machine (see the comments).
 */
class OverlayConfigRulesTest {
  static final String RW = "lowerdir=/l,upperdir=/u,workdir=/w";
  static final String RO = "lowerdir=/l1:/l2";

  @Nested
  class Metacopy {
    @Test
    void metacopyImpliesRedirectDirOn() {
      // mount: "...,metacopy=on" shows redirect_dir=on,metacopy=on.
      OverlayConfig c = OverlayConfig.parse(RW + ",metacopy=on");
      assertTrue(c.metacopy());
      assertEquals(RedirectDir.ON, c.redirectDir());
      assertEquals(List.of(), c.warnings());
    }

    @Test
    void metacopyWithExplicitRedirectOn() {
      OverlayConfig c = OverlayConfig.parse(RW + ",metacopy=on,redirect_dir=on");
      assertTrue(c.metacopy());
      assertEquals(RedirectDir.ON, c.redirectDir());
    }

    @Test
    void metacopyWithRedirectOffConflicts() {
      // dmesg: "conflicting options: metacopy=on,redirect_dir=follow" (off is stored as follow).
      refused(RW + ",metacopy=on,redirect_dir=off", "conflicting options: metacopy=on,redirect_dir=off");
    }

    @Test
    void metacopyWithRedirectFollowConflicts() {
      refused(RW + ",redirect_dir=follow,metacopy=on", "conflicting options: metacopy=on,redirect_dir=follow");
    }

    @Test
    void metacopyWithRedirectNofollowConflicts() {
      refused(RW + ",metacopy=on,redirect_dir=nofollow", "conflicting options: metacopy=on,redirect_dir=nofollow");
    }

    @Test
    void withoutUpperFollowCountsAsOnSoThereIsNoConflict() {
      // mount: "lowerdir=l1:l2,metacopy=on,redirect_dir=off" succeeds.
      OverlayConfig c = OverlayConfig.parse(RO + ",metacopy=on,redirect_dir=off");
      assertTrue(c.metacopy());
      assertEquals(RedirectDir.OFF, c.redirectDir());
    }

    @Test
    void withoutUpperNofollowStillConflicts() {
      refused(RO + ",metacopy=on,redirect_dir=nofollow", "conflicting options: metacopy=on,redirect_dir=nofollow");
    }
  }

  @Nested
  class UserXattr {
    @Test
    void userxattrTurnsRedirectsOff() {
      // mount: "...,userxattr" shows redirect_dir=nofollow,userxattr.
      OverlayConfig c = OverlayConfig.parse(RW + ",userxattr");
      assertTrue(c.userXattr());
      assertEquals(RedirectDir.NOFOLLOW, c.redirectDir());
      assertFalse(c.metacopy());
    }

    @Test
    void userxattrWithRedirectOnConflicts() {
      refused(RW + ",userxattr,redirect_dir=on", "conflicting options: userxattr,redirect_dir=on");
    }

    @Test
    void userxattrWithRedirectOffConflictsBecauseOffStillFollows() {
      // dmesg: "conflicting options: userxattr,redirect_dir=follow".
      refused(RW + ",userxattr,redirect_dir=off", "conflicting options: userxattr,redirect_dir=off");
    }

    @Test
    void userxattrWithRedirectFollowConflictsEvenReadOnly() {
      refused(RO + ",userxattr,redirect_dir=follow", "conflicting options: userxattr,redirect_dir=follow");
    }

    @Test
    void userxattrWithRedirectNofollowIsFine() {
      assertEquals(
          RedirectDir.NOFOLLOW, OverlayConfig.parse(RW + ",userxattr,redirect_dir=nofollow").redirectDir());
    }

    @Test
    void userxattrWithMetacopyOnConflicts() {
      refused(RW + ",userxattr,metacopy=on", "conflicting options: userxattr,metacopy=on");
    }

    @Test
    void userxattrWithMetacopyOffIsFine() {
      assertFalse(OverlayConfig.parse(RW + ",metacopy=off,userxattr").metacopy());
    }

    @Test
    void userxattrWithDataOnlyLayersIsFine() {
      // mount: "lowerdir=l1::d1,userxattr" succeeds on 6.18.
      OverlayConfig c = OverlayConfig.parse("lowerdir=/l1::/d1,userxattr");
      assertEquals(1, c.dataDirs().size());
    }
  }

  @Nested
  class NfsExport {
    @Test
    void nfsExportImpliesIndex() {
      // mount: "...,nfs_export=on" shows index=on,nfs_export=on.
      OverlayConfig c = OverlayConfig.parse(RW + ",nfs_export=on");
      assertTrue(c.nfsExport());
      assertTrue(c.index());
    }

    @Test
    void nfsExportWithIndexOffConflictsInEitherOrder() {
      refused(RW + ",nfs_export=on,index=off", "conflicting options: nfs_export=on,index=off");
      refused(RW + ",index=off,nfs_export=on", "conflicting options: nfs_export=on,index=off");
    }

    @Test
    void nfsExportWithMetacopyConflicts() {
      // Also with index=on given: dmesg "conflicting options: nfs_export=on,metacopy=on".
      refused(RW + ",nfs_export=on,metacopy=on", "conflicting options: nfs_export=on,metacopy=on");
      refused(RW + ",metacopy=on,index=on,nfs_export=on", "conflicting options: nfs_export=on,metacopy=on");
    }

    @Test
    void readOnlyNfsExportNeedsNofollowElseItIsDropped() {
      // dmesg: NFS export requires "redirect_dir=nofollow" on non-upper mount, falling back...
      OverlayConfig c = OverlayConfig.parse(RO + ",nfs_export=on");
      assertFalse(c.nfsExport());
      assertWarning(c, "nfs_export=on is ignored", "redirect_dir=nofollow");
    }

    @Test
    void readOnlyNfsExportWithNofollow() {
      OverlayConfig c = OverlayConfig.parse(RO + ",nfs_export=on,redirect_dir=nofollow");
      assertTrue(c.nfsExport());
      assertFalse(c.index());
      assertEquals(List.of(), c.warnings());
    }

    @Test
    void readOnlyNfsExportWithIndexOffStillConflicts() {
      refused(RO + ",nfs_export=on,redirect_dir=nofollow,index=off", "conflicting options: nfs_export=on,index=off");
    }
  }

  @Nested
  class WithoutUpper {
    @Test
    void workdirIsIgnoredWithAWarning() {
      // dmesg: option "workdir=w" is useless in a non-upper mount, ignore
      OverlayConfig c = OverlayConfig.parse(RO + ",workdir=/w");
      assertEquals(Optional.empty(), c.workDir());
      assertWarning(c, "workdir /w is ignored");
    }

    @Test
    void indexOnIsIgnoredWithAWarning() {
      OverlayConfig c = OverlayConfig.parse(RO + ",index=on");
      assertFalse(c.index());
      assertWarning(c, "index=on is ignored");
    }

    @Test
    void indexOffNeedsNoWarning() {
      OverlayConfig c = OverlayConfig.parse(RO + ",index=off");
      assertFalse(c.index());
      assertEquals(List.of(), c.warnings());
    }

    @Test
    void volatileIsIgnoredWithAWarning() {
      OverlayConfig c = OverlayConfig.parse(RO + ",volatile");
      assertFalse(c.volatileMode());
      assertWarning(c, "volatile is ignored");
    }

    @Test
    void uuidOnFallsBackToNull() {
      // mount shows uuid=null; dmesg: option "uuid=on" requires an upper fs, falling back to uuid=null.
      OverlayConfig c = OverlayConfig.parse(RO + ",uuid=on");
      assertEquals(Uuid.NULL, c.uuid());
      assertWarning(c, "uuid=on needs an upperdir; using uuid=null");
    }

    @Test
    void uuidOnWithUpperStaysOn() {
      assertEquals(Uuid.ON, OverlayConfig.parse(RW + ",uuid=on").uuid());
    }
  }

  @Nested
  class RedirectSemantics {
    @Test
    void offFollowsLikeFollowButCreatesNothing() {
      assertTrue(RedirectDir.OFF.follows());
      assertFalse(RedirectDir.OFF.creates());
      assertTrue(RedirectDir.FOLLOW.follows());
      assertFalse(RedirectDir.FOLLOW.creates());
      assertTrue(RedirectDir.ON.follows());
      assertTrue(RedirectDir.ON.creates());
      assertFalse(RedirectDir.NOFOLLOW.follows());
      assertFalse(RedirectDir.NOFOLLOW.creates());
    }
  }

  @Nested
  class Builders {
    @Test
    void builderEqualsParse() {
      OverlayConfig built =
          OverlayConfig.builder()
              .lowerDirs(Path.of("/l1"), Path.of("/l2"))
              .addDataDir(Path.of("/d"))
              .upperDir(Path.of("/u"))
              .workDir(Path.of("/w"))
              .metacopy(true)
              .xino(Xino.AUTO)
              .volatileMode(true)
              .whiteoutFormat(WhiteoutFormat.OCI)
              .lookupCacheSize(10)
              .build();
      assertEquals(
          OverlayConfig.parse(
              "lowerdir=/l1:/l2::/d,upperdir=/u,workdir=/w,metacopy=on,xino=auto,volatile,"
                  + "whiteout=oci,lookup_cache=10"),
          built);
      assertEquals(RedirectDir.ON, built.redirectDir());
    }

    @Test
    void builderMakesPathsAbsolute() {
      OverlayConfig c = OverlayConfig.builder().addLowerDir(Path.of("a")).addLowerDir(Path.of("b")).build();
      assertEquals(Path.of("a").toAbsolutePath(), c.lowerDirs().get(0));
    }

    @Test
    void builderChecksLikeParse() {
      assertFails(() -> OverlayConfig.builder().build(), "missing lowerdir");
      assertFails(
          () -> OverlayConfig.builder().lowerDirs(Path.of("/a"), Path.of("/b")).lookupCacheSize(-1).build(),
          "lookup_cache: -1 is negative");
      assertFails(
          () ->
              OverlayConfig.builder()
                  .lowerDirs(Path.of("/l"))
                  .upperDir(Path.of("/u"))
                  .workDir(Path.of("/w"))
                  .metacopy(true)
                  .redirectDir(RedirectDir.OFF)
                  .build(),
          "conflicting options: metacopy=on,redirect_dir=off");
    }

    @Test
    void toBuilderRebuildsAnEqualConfig() {
      OverlayConfig c = OverlayConfig.parse(RW + ",metacopy=on,xino=on,userxattr,redirect_dir=nofollow,metacopy=off");
      assertEquals(c, c.toBuilder().build());
    }

    @Test
    void toBuilderContinuesTheOptionsAsWritten() {
      OverlayConfig c = OverlayConfig.parse(RW + ",metacopy=on");
      // Like appending ",redirect_dir=off": explicit metacopy and redirect conflict.
      assertFails(
          () -> c.toBuilder().redirectDir(RedirectDir.OFF).build(),
          "conflicting options: metacopy=on,redirect_dir=off");
      // The implied redirect_dir=on goes away with metacopy.
      assertEquals(RedirectDir.FOLLOW, c.toBuilder().metacopy(false).build().redirectDir());
    }

    @Test
    void toBuilderCanRemoveTheUpperLayer() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/a:/b,upperdir=/u,workdir=/w");
      OverlayConfig ro = c.toBuilder().upperDir(null).build();
      assertTrue(ro.readOnly());
      assertEquals(Optional.empty(), ro.workDir());
      assertWarning(ro, "workdir /w is ignored");
    }

    @Test
    void changingTheBuilderLaterDoesNotChangeTheConfig() {
      OverlayConfig.Builder b = OverlayConfig.builder().lowerDirs(Path.of("/a"), Path.of("/b"));
      OverlayConfig c = b.build();
      b.addLowerDir(Path.of("/c")).metacopy(true);
      assertEquals(List.of(Path.of("/a"), Path.of("/b")), c.lowerDirs());
      assertFalse(c.metacopy());
    }

    @Test
    void listsAreUnmodifiable() {
      OverlayConfig c = OverlayConfig.parse("lowerdir=/a:/b::/d,workdir=/w");
      org.junit.jupiter.api.Assertions.assertThrows(
          UnsupportedOperationException.class, () -> c.lowerDirs().add(Path.of("/x")));
      org.junit.jupiter.api.Assertions.assertThrows(
          UnsupportedOperationException.class, () -> c.dataDirs().clear());
      org.junit.jupiter.api.Assertions.assertThrows(
          UnsupportedOperationException.class, () -> c.warnings().clear());
    }
  }

  @Nested
  class EqualityAndStrings {
    @Test
    void equalConfigsHaveEqualHashCodes() {
      OverlayConfig a = OverlayConfig.parse(RW + ",metacopy=on");
      OverlayConfig b = OverlayConfig.parse("workdir=/w,upperdir=/u,lowerdir=/l,redirect_dir=on,metacopy=on");
      assertEquals(a, b);
      assertEquals(a.hashCode(), b.hashCode());
    }

    @Test
    void everyFieldTakesPartInEquality() {
      OverlayConfig base = OverlayConfig.parse(RW);
      for (String extra :
          List.of(
              ",redirect_dir=on", ",metacopy=on", ",xino=auto", ",index=on", ",uuid=null",
              ",nfs_export=on", ",volatile", ",userxattr", ",default_permissions", ",ro",
              ",whiteout=oci", ",lookup_cache=1", ",lowerdir=/l2", ",upperdir=/u2", ",workdir=/w2",
              ",lowerdir=/l::/d")) {
        assertFalse(base.equals(OverlayConfig.parse(RW + extra)), extra);
      }
    }

    @Test
    void warningsAreNotPartOfEquality() {
      OverlayConfig quiet = OverlayConfig.parse(RO);
      OverlayConfig noisy = OverlayConfig.parse(RO + ",workdir=/w,volatile");
      assertEquals(quiet, noisy);
      assertFalse(noisy.warnings().isEmpty());
    }

    @Test
    void toStringShowsTheOptions() {
      OverlayConfig c = OverlayConfig.parse(RW + ",metacopy=on");
      assertEquals(
          "OverlayConfig[lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=on,metacopy=on]",
          c.toString());
    }

    @Test
    void optionStringOfDefaultsIsMinimal() {
      assertEquals("lowerdir=/a:/b", OverlayConfig.parse("lowerdir=/a:/b,xino=off,index=off").toOptionString());
    }

    @Test
    void optionStringListsEveryNonDefault() {
      OverlayConfig c =
          OverlayConfig.parse(
              "lowerdir=/l1:/l2::/d1::/d2,upperdir=/u,workdir=/w,ro,default_permissions,metacopy=on,"
                  + "uuid=null,xino=auto,volatile,whiteout=oci,lookup_cache=0");
      assertEquals(
          "lowerdir=/l1:/l2::/d1::/d2,upperdir=/u,workdir=/w,ro,default_permissions,"
              + "redirect_dir=on,uuid=null,xino=auto,metacopy=on,volatile,whiteout=oci,lookup_cache=0",
          c.toOptionString());
    }

    @Test
    void optionStringShowsImpliedValues() {
      assertEquals(
          "lowerdir=/l,upperdir=/u,workdir=/w,index=on,nfs_export=on",
          OverlayConfig.parse(RW + ",nfs_export=on").toOptionString());
      assertEquals(
          "lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=nofollow,userxattr",
          OverlayConfig.parse(RW + ",userxattr").toOptionString());
    }

    @Test
    void optionStringEscapesPaths() {
      OverlayConfig c =
          OverlayConfig.builder()
              .lowerDirs(Path.of("/a:b"), Path.of("/c,d"))
              .addDataDir(Path.of("/e\\f"))
              .upperDir(Path.of("/u,1"))
              .workDir(Path.of("/w:2"))
              .build();
      assertEquals(
          "lowerdir=/a\\:b:/c\\,d::/e\\\\f,upperdir=/u\\,1,workdir=/w\\:2", c.toOptionString());
      assertEquals(c, OverlayConfig.parse(c.toOptionString()));
    }

    @Test
    void optionStringRoundTripsThroughEveryRule() {
      for (String s :
          List.of(
              RW,
              RO,
              RW + ",metacopy=on",
              RW + ",userxattr",
              RW + ",nfs_export=on",
              RO + ",nfs_export=on,redirect_dir=nofollow",
              RO + ",metacopy=on,redirect_dir=off",
              RO + ",uuid=on,volatile,index=on,workdir=/w",
              RW + ",redirect_dir=off,ro",
              "lowerdir+=/a:b,datadir+=/c\\,d,upperdir=/u,workdir=/w")) {
        OverlayConfig c = OverlayConfig.parse(s);
        assertEquals(c, OverlayConfig.parse(c.toOptionString()), s);
      }
    }
  }
}
