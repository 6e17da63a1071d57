package io.overlay4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlay4j.core.layer.MemoryLayer;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A merged listing exists once (the cache and every reader share one list), and the one-probe
 * resolution of cached paths answers as a component walk would after the tree changes.
 */
class ListingAndResolutionTest {
  private static final int ENTRIES = 100_000;

  @Test
  void aHundredThousandEntryListingIsHeldOnce() throws IOException {
    MemoryLayer top = new MemoryLayer("l0");
    MemoryLayer bottom = new MemoryLayer("l1");
    top.mkdir("big", 0755);
    bottom.mkdir("big", 0755);
    // Half the names in each lower, a tenth in both, 1,000 whited out in upper.
    for (int i = 0; i < ENTRIES; i++) {
      MemoryLayer l = i % 2 == 0 ? top : bottom;
      l.createFile("big/f" + i, 0644);
      if (i % 10 == 1) {
        top.createFile("big/f" + i, 0644);
      }
    }
    MemoryLayer upper = new MemoryLayer("u");
    upper.mkdir("big", 0755);
    for (int i = 0; i < 1000; i++) {
      upper.makeWhiteout("big/f" + (i * 7));
    }
    Overlay o = Overlay.builder().lower(top).lower(bottom).upper(upper, new MemoryLayer("w"))
        .lookupCacheSize(1 << 18).build();

    List<DirEntry> first = o.readdir("/big");
    assertEquals(ENTRIES - 1000, first.size());
    Set<String> names = new HashSet<>();
    for (DirEntry d : first) {
      assertTrue(names.add(d.name()), "listed twice: " + d.name());
    }
    assertFalse(names.contains("f0"));
    assertFalse(names.contains("f7"));
    assertTrue(names.contains("f1"));
    // The same list object every time, and through opendir: one copy of the listing.
    assertSame(first, o.readdir("/big"));
    OverlayDirectory dir = o.opendir("/big");
    assertSame(first, dir.entries());
    assertThrows(UnsupportedOperationException.class, () -> first.remove(0));
    // A change drops the listing; the next one is a new single list.
    o.unlink("/big/f1");
    List<DirEntry> after = o.readdir("/big");
    assertEquals(ENTRIES - 1001, after.size());
    assertSame(after, o.readdir("/big"));
  }

  @Test
  void cachedPathsFollowChangesOfTheirDirectories() throws IOException {
    MemoryLayer lower = new MemoryLayer("l");
    lower.mkdir("a", 0755);
    lower.createFile("a/f", 0644);
    lower.symlink("link", "a/f");
    Overlay o = Overlay.builder().lower(lower).upper(new MemoryLayer("u"), new MemoryLayer("w"))
        .build();
    assertTrue(o.exists("/a/f"));
    assertFalse(o.exists("/a/none"));
    assertTrue(o.getattr("/link", false).type() == FileType.SYMLINK);
    // Cached now: a followed last symlink still resolves to its target.
    assertTrue(o.getattr("/link", false).type() == FileType.SYMLINK);
    assertEquals(FileType.REGULAR, o.getattr("/link", true).type());
    o.unlink("/a/f");
    o.rmdir("/a");
    try (OverlayFile f = o.create("/a", 0644, -1, -1, true)) {
      // /a is a file now: names below it are ENOTDIR, not cached answers from before.
    }
    OverlayException e = assertThrows(OverlayException.class, () -> o.getattr("/a/f"));
    assertEquals(Errno.ENOTDIR, e.errno());
    e = assertThrows(OverlayException.class, () -> o.getattr("/a/none"));
    assertEquals(Errno.ENOTDIR, e.errno());
  }
}
