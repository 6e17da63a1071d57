package io.overlay4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlay4j.core.layer.MemoryLayer;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class LookupTest {

  private static Overlay overlay(Layers upper, Layers... lowers) throws IOException {
    Overlay.Builder b = Overlay.builder();
    for (Layers l : lowers) {
      b.lower(l.layer());
    }
    if (upper != null) {
      b.upper(upper.layer(), new MemoryLayer("work"));
    }
    return b.build();
  }

  private static Errno errno(ThrowingCall call) {
    OverlayException e = assertThrows(OverlayException.class, call::run);
    return e.errno();
  }

  interface ThrowingCall {
    void run() throws IOException;
  }

  @Test
  void upperHidesLowerAndLowerLayersSearchTopDown() throws IOException {
    Layers l1 = Layers.memory("l1").file("a", "l1-a").file("only1", "1");
    Layers l2 = Layers.memory("l2").file("a", "l2-a").file("b", "l2-b").file("only2", "2");
    Layers l3 = Layers.memory("l3").file("b", "l3-b").file("c", "l3-c");
    Layers up = Layers.memory("up").file("c", "up-c");
    Overlay o = overlay(up, l1, l2, l3);
    assertEquals("l1-a", Layers.read(o, "/a"));
    assertEquals("l2-b", Layers.read(o, "/b"));
    assertEquals("up-c", Layers.read(o, "/c"));
    assertEquals("1", Layers.read(o, "/only1"));
    assertEquals("2", Layers.read(o, "/only2"));
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/missing")));
  }

  @Test
  void singleLowerLayerWithUpper() throws IOException {
    Overlay o = overlay(Layers.memory("u"), Layers.memory("l").dir("d").file("d/f", "x"));
    assertEquals("x", Layers.read(o, "/d/f"));
    assertTrue(o.getattr("/d").isDirectory());
  }

  @Test
  void readOnlyOverlayNeedsTwoLowers() throws IOException {
    assertThrows(IllegalStateException.class,
        () -> Overlay.builder().lower(new MemoryLayer("x")).build());
    Overlay o = overlay(null, Layers.memory("a").file("f", "a"), Layers.memory("b").file("g", "b"));
    assertTrue(o.readOnly());
    assertEquals("b", Layers.read(o, "/g"));
  }

  @Test
  void firstNonDirectoryHidesDirectoriesBelow() throws IOException {
    Layers l1 = Layers.memory("l1").dir("d").file("d/one", "1");
    Layers l2 = Layers.memory("l2").file("d", "a file");
    Layers l3 = Layers.memory("l3").dir("d").file("d/three", "3");
    Overlay o = overlay(Layers.memory("u"), l1, l2, l3);
    assertEquals(List.of("one"), names(o.readdir("/d")));
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/d/three")));
    // A file on top hides a directory below it.
    Overlay o2 = overlay(Layers.memory("u"), l2, l3);
    assertTrue(o2.getattr("/d").isRegularFile());
    assertEquals(Errno.ENOTDIR, errno(() -> o2.getattr("/d/three")));
  }

  @Test
  void directoriesMergeAndTakeTheTopmostAttributes() throws IOException {
    Layers l1 = Layers.memory("l1").dir("d").file("d/a", "a");
    l1.layer().chmod("d", 0700);
    Layers l2 = Layers.memory("l2").dir("d").file("d/b", "b");
    l2.layer().chmod("d", 0755);
    Overlay o = overlay(Layers.memory("u"), l1, l2);
    Stat d = o.getattr("/d");
    assertEquals(0700, d.mode());
    assertEquals(1, d.nlink(), "a merged directory reports one link");
    assertEquals(List.of("a", "b"), sorted(names(o.readdir("/d"))));
  }

  @Test
  void charDeviceWhiteoutHidesLowerNames() throws IOException {
    Layers l1 = Layers.memory("l1").whiteout("gone").whiteout("d/sub");
    Layers l2 = Layers.memory("l2").file("gone", "x").file("kept", "k").dir("d/sub").file("d/f", "f");
    Overlay o = overlay(Layers.memory("u"), l1, l2);
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/gone")));
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/d/sub")));
    assertEquals(List.of("d", "kept"), sorted(names(o.readdir("/"))));
    assertEquals(List.of("f"), names(o.readdir("/d")));
  }

  @Test
  void upperWhiteoutHidesEveryLowerLayer() throws IOException {
    Layers up = Layers.memory("u").whiteout("f");
    Overlay o = overlay(up, Layers.memory("l1").file("f", "1"), Layers.memory("l2").file("f", "2"));
    assertFalse(o.exists("/f"));
    assertEquals(List.of(), o.readdir("/"));
  }

  @Test
  void xattrWhiteoutAlwaysHidesForLookupButReaddirOnlyInMarkedDirectories() throws IOException {
    Layers l1 = Layers.memory("l1").dir("plain").xattrWhiteout("plain/w").dir("marked")
        .xattrWhiteout("marked/w");
    l1.xattr("marked", "trusted.overlay.opaque", "x");
    Layers l2 = Layers.memory("l2").file("plain/w", "x").file("marked/w", "x")
        .file("plain/other", "o").file("marked/other", "o");
    Overlay o = overlay(Layers.memory("u"), l1, l2);
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/plain/w")));
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/marked/w")));
    // As the kernel does: the name is still listed where the directory is not marked "x".
    assertEquals(List.of("other", "w"), sorted(names(o.readdir("/plain"))));
    assertEquals(List.of("other"), names(o.readdir("/marked")));
    // "x" does not make the directory opaque.
    assertEquals("o", Layers.read(o, "/marked/other"));
  }

  @Test
  void opaqueDirectoryCutsLowerLayers() throws IOException {
    Layers l1 = Layers.memory("l1").opaque("d").file("d/top", "t");
    Layers l2 = Layers.memory("l2").dir("d").file("d/below", "b");
    Layers up = Layers.memory("u").opaque("e").file("e/new", "n");
    Layers l3 = Layers.memory("l3").dir("e").file("e/old", "o");
    Overlay o = overlay(up, l1, l2, l3);
    assertEquals(List.of("top"), names(o.readdir("/d")));
    assertFalse(o.exists("/d/below"));
    assertEquals(List.of("new"), names(o.readdir("/e")));
    assertFalse(o.exists("/e/old"));
  }

  @Test
  void ociWhiteoutsWhenAsked() throws IOException {
    Layers l1 = Layers.memory("l1").file(".wh.gone", "").dir("d").file("d/.wh..wh..opq", "")
        .file("d/new", "n");
    Layers l2 = Layers.memory("l2").file("gone", "g").file("kept", "k").dir("d").file("d/old", "o");
    Overlay oci = Overlay.builder().lower(l1.layer()).lower(l2.layer())
        .upper(new MemoryLayer("u"), new MemoryLayer("w")).ociWhiteouts(true).build();
    assertFalse(oci.exists("/gone"));
    assertFalse(oci.exists("/.wh.gone"));
    assertEquals(List.of("d", "kept"), sorted(names(oci.readdir("/"))));
    assertEquals(List.of("new"), names(oci.readdir("/d")));
    // Without the option they are ordinary files, as under the kernel.
    Overlay kernel = overlay(Layers.memory("u2"), l1, l2);
    assertTrue(kernel.exists("/gone"));
    assertTrue(kernel.exists("/.wh.gone"));
    assertEquals(List.of("d/.wh..wh..opq", "d/new", "d/old"),
        sorted(names(kernel.readdir("/d")).stream().map(n -> "d/" + n).toList()));
  }

  @Test
  void directoryInOneLayerIsPassedThroughUnfiltered() throws IOException {
    // The kernel lists a whiteout of a directory that exists in one layer only.
    Layers l1 = Layers.memory("l1").dir("solo").file("solo/f", "f").whiteout("solo/w");
    Overlay o = overlay(Layers.memory("u"), l1, Layers.memory("l2"));
    assertEquals(List.of("f", "w"), sorted(names(o.readdir("/solo"))));
    assertFalse(o.exists("/solo/w"));
  }

  @Test
  void inodeNumbersAreTheLowerObjectsOnOneFileSystem() throws IOException {
    Layers l1 = Layers.memory("l1").dir("d").file("d/f", "x");
    Layers l2 = Layers.memory("l2").dir("d").file("g", "y");
    Layers up = Layers.memory("u").dir("d").file("u", "z");
    Overlay o = overlay(up, l1, l2);
    assertEquals(l1.layer().stat("d/f").ino(), o.getattr("/d/f").ino());
    assertEquals(l2.layer().stat("g").ino(), o.getattr("/g").ino());
    assertEquals(up.layer().stat("u").ino(), o.getattr("/u").ino());
    // A merged directory reports its topmost lower copy's inode.
    assertEquals(l1.layer().stat("d").ino(), o.getattr("/d").ino());
    long dev = o.getattr("/").dev();
    assertEquals(dev, o.getattr("/d/f").dev());
    assertEquals(dev, o.getattr("/u").dev());
    // readdir's d_ino matches stat's st_ino.
    for (DirEntry e : o.readdir("/d")) {
      assertEquals(o.getattr("/d/" + e.name()).ino(), e.ino(), e.name());
      assertEquals(o.getattr("/d/" + e.name()).type(), e.type(), e.name());
    }
  }

  @Test
  void copiedUpFileKeepsItsOriginsInode() throws IOException {
    MemoryLayer l1 = new MemoryLayer("l1");
    Layers.of(l1).file("f", "lower");
    Layers up = Layers.memory("u").file("f", "upper");
    up.layer().setXattr("f", "trusted.overlay.origin", l1.originOf("f"));
    Overlay o = overlay(up, Layers.of(l1), Layers.memory("l2"));
    assertEquals("upper", Layers.read(o, "/f"));
    assertEquals(l1.stat("f").ino(), o.getattr("/f").ino());
  }

  @Test
  void hardLinksInALowerLayerShareAnInode() throws IOException {
    Layers l1 = Layers.memory("l1").file("a", "same");
    l1.layer().link("a", "b");
    Overlay o = overlay(Layers.memory("u"), l1, Layers.memory("l2"));
    assertEquals(o.getattr("/a").ino(), o.getattr("/b").ino());
    assertEquals(2, o.getattr("/b").nlink());
  }

  @Test
  void xattrsHideTheOverlaysOwnNames() throws IOException {
    Layers l1 = Layers.memory("l1").file("f", "x").xattr("f", "user.color", "red")
        .xattr("f", "trusted.overlay.origin", "zz").xattr("f", "trusted.overlay.overlay.mine", "m");
    Overlay o = overlay(Layers.memory("u"), l1, Layers.memory("l2"));
    assertEquals(List.of("user.color", "trusted.overlay.mine"), o.listxattr("/f"));
    assertEquals("red", new String(o.getxattr("/f", "user.color")));
    assertEquals("m", new String(o.getxattr("/f", "trusted.overlay.mine")));
    assertEquals(Errno.ENODATA, errno(() -> o.getxattr("/f", "trusted.overlay.origin")));
    assertEquals(Errno.ENODATA, errno(() -> o.getxattr("/f", "user.none")));
  }

  @Test
  void symlinksAreFollowedWithinTheOverlay() throws IOException {
    Layers l1 = Layers.memory("l1").dir("real").file("real/f", "data").symlink("rel", "real")
        .symlink("abs", "/real/f").symlink("up", "../../../real").symlink("loop1", "loop2")
        .symlink("loop2", "loop1").symlink("dangling", "nowhere");
    Overlay o = overlay(Layers.memory("u"), l1, Layers.memory("l2"));
    assertEquals("data", Layers.read(o, "/rel/f"));
    assertEquals("data", Layers.read(o, "/abs"));
    assertEquals("data", Layers.read(o, "/up/f"), ".. at the root stays at the root");
    assertTrue(o.getattr("/abs").isSymlink());
    assertTrue(o.getattr("/abs", true).isRegularFile());
    assertEquals("/real/f", o.readlink("/abs"));
    assertEquals(Errno.ELOOP, errno(() -> o.getattr("/loop1", true)));
    assertEquals(Errno.ELOOP, errno(() -> o.getattr("/loop1/x")));
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/dangling", true)));
    assertEquals(Errno.EINVAL, errno(() -> o.readlink("/real/f")));
  }

  @Test
  void badPathsGetTheKernelsErrors() throws IOException {
    Overlay o = overlay(Layers.memory("u"), Layers.memory("l").file("f", "x").dir("d"),
        Layers.memory("m"));
    assertTrue(o.getattr("/./d/../f").isRegularFile());
    assertTrue(o.getattr("//d/./").isDirectory());
    assertEquals(Errno.ENOTDIR, errno(() -> o.getattr("/f/..")));
    assertEquals(Errno.ENAMETOOLONG, errno(() -> o.getattr("/" + "n".repeat(256))));
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/" + "n".repeat(255))));
    assertEquals(Errno.ENAMETOOLONG, errno(() -> o.getattr("/" + "a/".repeat(2100))));
    assertEquals(Errno.ENOTDIR, errno(() -> o.getattr("/f/x")));
    assertEquals(Errno.ENOTDIR, errno(() -> o.getattr("/f/")));
    assertEquals(Errno.ENOTDIR, errno(() -> o.readdir("/f")));
    assertEquals(Errno.EISDIR, errno(() -> o.openRead("/")));
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/nope/x")));
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/nope/../f")));
  }

  @Test
  void cacheCountsHitsAndMisses() throws IOException {
    Overlay o = overlay(Layers.memory("u"), Layers.memory("l").dir("a/b").file("a/b/c", "x"),
        Layers.memory("m"));
    o.getattr("/a/b/c");
    OverlayStats first = o.stats();
    o.getattr("/a/b/c");
    OverlayStats second = o.stats();
    assertEquals(first.cacheMisses(), second.cacheMisses(), "the second walk reads no layer");
    // A cached path resolves in one probe (the path and its parent), counted as one hit.
    assertTrue(second.cacheHits() >= first.cacheHits() + 1, second.toString());
    assertTrue(second.cacheSize() >= 4);
    assertFalse(o.exists("/a/none"));
    long misses = o.stats().cacheMisses();
    assertFalse(o.exists("/a/none"));
    assertEquals(misses, o.stats().cacheMisses(), "negative entries are cached too");
  }

  @Test
  void cacheIsBoundedAndCanBeTurnedOff() throws IOException {
    Layers l = Layers.memory("l");
    for (int i = 0; i < 300; i++) {
      l.file("f" + i, "x");
    }
    Overlay small = Overlay.builder().lower(l.layer()).upper(new MemoryLayer("u"),
        new MemoryLayer("w")).lookupCacheSize(50).build();
    for (int i = 0; i < 300; i++) {
      small.getattr("/f" + i);
    }
    assertTrue(small.stats().cacheSize() <= 50, small.stats().toString());
    Overlay none = Overlay.builder().lower(l.layer()).upper(new MemoryLayer("u"),
        new MemoryLayer("w")).lookupCacheSize(0).build();
    none.getattr("/f1");
    none.getattr("/f1");
    assertEquals(0, none.stats().cacheHits());
    assertEquals(0, none.stats().cacheSize());
  }

  @Test
  void directoryHandlesListAgainOnlyOnRewind() throws IOException {
    Layers up = Layers.memory("u").file("a", "a");
    Overlay o = overlay(up, Layers.memory("l").file("b", "b"), Layers.memory("m"));
    OverlayDirectory d = o.opendir("/");
    List<DirEntry> first = d.read(0);
    assertEquals(2, first.size());
    assertEquals(1, d.read(1).size(), "resume after the first entry");
    assertEquals(List.of(), d.read(2));
    up.file("c", "c");
    o.stats(); // the write side invalidates the cache; here we only check the snapshot
    assertEquals(List.of(), d.read(2), "entries created while open appear only after a rewind");
  }

  @Test
  void hostileRedirectsAreRefusedNotFollowed() throws IOException {
    for (String target : new String[] {"/../../etc", "../x", "a/b", "/a//b", "/a/./b", ""}) {
      Layers l1 = Layers.memory("l1").dir("d").xattr("d", "trusted.overlay.redirect", target);
      Overlay o = overlay(Layers.memory("u"), l1, Layers.memory("l2").dir("d"));
      assertEquals(Errno.EIO, errno(() -> o.readdir("/d")), target);
    }
  }

  @Test
  void redirectsNeverGoThroughASymlinkOfALayer() throws IOException {
    // l2's "a" is a symlink; a redirect to /a/b must not be followed through it.
    Layers up = Layers.memory("u").dir("moved").xattr("moved", "trusted.overlay.redirect", "/a/b");
    Layers l1 = Layers.memory("l1").dir("real/b").file("real/b/secret", "s").symlink("a", "real");
    Overlay o = overlay(up, l1, Layers.memory("l2"));
    assertEquals(List.of(), o.readdir("/moved"));
    assertFalse(o.exists("/moved/secret"));
  }

  @Test
  void statfsComesFromUpperWithTheOverlayMagic() throws IOException {
    Overlay o = overlay(Layers.memory("u"), Layers.memory("l"), Layers.memory("m"));
    StatFs s = o.statfs();
    assertEquals(StatFs.OVERLAYFS_SUPER_MAGIC, s.type());
    assertTrue(s.blocks() > 0);
    assertEquals(255, s.nameMax());
  }

  private static List<String> names(List<DirEntry> entries) {
    return entries.stream().map(DirEntry::name).toList();
  }

  private static List<String> sorted(List<String> names) {
    return names.stream().sorted().toList();
  }
}
