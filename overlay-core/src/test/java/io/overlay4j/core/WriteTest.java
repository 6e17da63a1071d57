package io.overlay4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlay4j.core.layer.MemoryLayer;
import io.overlay4j.core.layer.WritableLayer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The write side on in-memory layers; {@code HostWriteTest} runs the same on host directories. */
class WriteTest {
  WritableLayer l1;
  WritableLayer l2;
  WritableLayer upper;
  WritableLayer work;
  Overlay o;
  Map<String, String> l1Before;
  Map<String, String> l2Before;

  @BeforeEach
  void setUp() throws IOException {
    l1 = newLayer("l1");
    l2 = newLayer("l2");
    upper = newLayer("upper");
    work = newLayer("work");
    Layers.of(l1).dir("d").file("d/f", "lower f").file("top", "top").dir("merged")
        .file("merged/a", "a").xattr("d/f", "user.color", "blue")
        .xattr("d/f", "trusted.overlay.origin", "private");
    l1.chmod("d/f", 0640);
    l1.chown("d/f", 1000, 1000);
    l1.setTimes("d/f", 1_000_000_123L, 2_000_000_456L);
    Layers.of(l2).dir("merged").file("merged/b", "b").dir("tree/sub").file("tree/sub/x", "x")
        .file("big", "0123456789".repeat(1000));
    o = build(Overlay.builder());
    l1Before = LayerSnapshot.of(l1);
    l2Before = LayerSnapshot.of(l2);
  }

  /** A fresh empty layer; {@code HostWriteTest} makes host directories instead. */
  WritableLayer newLayer(String name) throws IOException {
    return new MemoryLayer(name);
  }

  Overlay build(Overlay.Builder b) throws IOException {
    return b.lower(l1).lower(l2).upper(upper, work).build();
  }

  @AfterEach
  void lowerLayersAreNeverWritten() throws IOException {
    assertEquals(l1Before, LayerSnapshot.of(l1));
    assertEquals(l2Before, LayerSnapshot.of(l2));
    // Between operations work/ holds at most the shared whiteout new whiteouts link to (as the
    // kernel's does); once the overlay is closed, nothing.
    List<String> left = work.list("");
    assertTrue(left.size() <= 1 && left.stream().allMatch(n -> {
      Stat st = stat(work, n);
      return st.type() == FileType.CHAR_DEVICE && st.rdev() == 0;
    }), "work/ holds nothing but the shared whiteout once an operation returned: " + left);
    o.close();
    assertEquals(List.of(), work.list(""), "work/ holds nothing once the overlay closed");
  }

  private static Stat stat(WritableLayer layer, String path) {
    try {
      return layer.stat(path);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Errno errno(LookupTest.ThrowingCall call) {
    return assertThrows(OverlayException.class, call::run).errno();
  }

  static void write(Overlay o, String path, String data, long pos) throws IOException {
    try (OverlayFile f = o.open(path, true, false)) {
      f.write(ByteBuffer.wrap(data.getBytes(StandardCharsets.UTF_8)), pos);
    }
  }

  @Test
  void openForWriteCopiesUpParentsFirstAndKeepsAttributes() throws IOException {
    long ino = o.getattr("/d/f").ino();
    o.open("/d/f", true, false).close();
    Stat up = upper.stat("d/f");
    assertNotNull(up, "open for writing copies up even with nothing written");
    assertEquals(0640, up.mode());
    assertEquals(1000, up.uid());
    assertEquals(2_000_000_456L, up.mtimeNanos(), "a copy-up keeps mtime to the nanosecond");
    assertEquals("blue", new String(upper.getXattr("d/f", "user.color")));
    assertNull(upper.getXattr("d/f", "trusted.overlay.overlay.origin"));
    assertNotNull(upper.getXattr("d/f", "trusted.overlay.origin"), "copy-up records its origin");
    assertEquals(ino, o.getattr("/d/f").ino(), "st_ino survives copy-up");
    assertTrue(upper.stat("d").isDirectory(), "the parent was copied up first");
    assertNotNull(upper.getXattr("d", "trusted.overlay.origin"));
    assertEquals(List.of("f"), upper.list("d"), "a parent is copied without its contents");
    assertEquals("lower f", Layers.read(o, "/d/f"));
    write(o, "/d/f", "UPPER", 0);
    assertEquals("UPPER f", Layers.read(o, "/d/f"));
    assertEquals(2, o.stats().copyUps(), "the file and its parent: two copy-ups");
  }

  @Test
  void readsStatsAndReadOnlyOpensNeverCopyUp() throws IOException {
    Layers.read(o, "/d/f");
    o.getattr("/d/f");
    o.listxattr("/d/f");
    o.getxattr("/d/f", "user.color");
    o.readdir("/merged");
    o.symlink("/d/f", "/link-to-f", -1, -1);
    assertNull(upper.stat("d"));
    assertEquals(0, o.stats().copyUps());
  }

  @Test
  void truncateOnOpenCopiesNoData() throws IOException {
    try (OverlayFile f = o.open("/big", true, true)) {
      assertEquals(0, f.size());
    }
    assertEquals(0, o.getattr("/big").size());
    assertEquals(0, o.stats().bytesCopiedUp());
    o.truncate("/top", 2);
    assertEquals("to", Layers.read(o, "/top"));
  }

  @Test
  void unlinkOfALowerFileLeavesAWhiteoutWithoutCopyingData() throws IOException {
    o.unlink("/big");
    Stat w = upper.stat("big");
    assertEquals(FileType.CHAR_DEVICE, w.type());
    assertEquals(0, w.rdev());
    assertFalse(o.exists("/big"));
    assertEquals(0, o.stats().bytesCopiedUp());
    assertEquals(1, o.stats().whiteouts());
    assertEquals(Errno.ENOENT, errno(() -> o.unlink("/big")));
    assertFalse(o.readdir("/").stream().anyMatch(e -> e.name().equals("big")));
  }

  @Test
  void unlinkOfAnUpperOnlyFileRemovesIt() throws IOException {
    o.create("/new", 0644, -1, -1, true).close();
    o.unlink("/new");
    assertNull(upper.stat("new"), "nothing below: no whiteout needed");
    // A copied-up file still needs a whiteout: the lower one is there.
    write(o, "/top", "x", 0);
    o.unlink("/top");
    assertEquals(FileType.CHAR_DEVICE, upper.stat("top").type());
  }

  @Test
  void unlinkAndRmdirErrors() throws IOException {
    assertEquals(Errno.EISDIR, errno(() -> o.unlink("/d")));
    assertEquals(Errno.ENOTDIR, errno(() -> o.rmdir("/top")));
    assertEquals(Errno.ENOTEMPTY, errno(() -> o.rmdir("/merged")));
    assertEquals(Errno.EBUSY, errno(() -> o.rmdir("/")));
    assertEquals(Errno.ENOENT, errno(() -> o.rmdir("/nothing")));
  }

  @Test
  void rmdirOfAMergedDirectoryThatIsEmptyOnlyInTheMergedView() throws IOException {
    o.unlink("/merged/a");
    assertEquals(Errno.ENOTEMPTY, errno(() -> o.rmdir("/merged")));
    o.unlink("/merged/b");
    assertEquals(List.of(), o.readdir("/merged"));
    o.rmdir("/merged");
    assertFalse(o.exists("/merged"));
    assertEquals(FileType.CHAR_DEVICE, upper.stat("merged").type(), "the directory became a whiteout");
    o.mkdir("/merged", 0700);
    assertEquals(List.of(), o.readdir("/merged"), "the new directory shows nothing of below");
    assertArrayEquals(new byte[] {'y'}, upper.getXattr("merged", "trusted.overlay.opaque"));
    assertEquals(0700, o.getattr("/merged").mode());
  }

  @Test
  void rmdirOfATreeEmptiedBottomUp() throws IOException {
    o.unlink("/tree/sub/x");
    o.rmdir("/tree/sub");
    o.rmdir("/tree");
    assertFalse(o.exists("/tree"));
    assertEquals(List.of(), upper.list("").stream().filter(n -> !n.equals("tree")).toList());
  }

  @Test
  void mkdirOfANewNameHasNoMarker() throws IOException {
    o.mkdir("/fresh", 0755, 1234, 5678);
    assertNull(upper.getXattr("fresh", "trusted.overlay.opaque"));
    Stat st = o.getattr("/fresh");
    assertEquals(1234, st.uid());
    assertEquals(5678, st.gid());
    assertEquals(Errno.EEXIST, errno(() -> o.mkdir("/fresh", 0755)));
    assertEquals(Errno.EEXIST, errno(() -> o.mkdir("/d", 0755)));
    assertEquals(Errno.ENOENT, errno(() -> o.mkdir("/no/such", 0755)));
    assertEquals(Errno.ENOTDIR, errno(() -> o.mkdir("/top/x", 0755)));
    assertEquals(Errno.ENAMETOOLONG, errno(() -> o.mkdir("/" + "x".repeat(256), 0755)));
  }

  @Test
  void createOverAWhiteoutReplacesIt() throws IOException {
    o.unlink("/top");
    try (OverlayFile f = o.create("/top", 0600, -1, -1, true)) {
      f.write(ByteBuffer.wrap("again".getBytes()), 0);
    }
    assertEquals("again", Layers.read(o, "/top"));
    assertEquals(FileType.REGULAR, upper.stat("top").type());
    assertEquals(Errno.EEXIST, errno(() -> o.create("/top", 0600, -1, -1, true)));
  }

  @Test
  void renameOfALowerFileLeavesAWhiteoutAtTheOldName() throws IOException {
    long ino = o.getattr("/d/f").ino();
    o.rename("/d/f", "/moved", 0);
    assertFalse(o.exists("/d/f"));
    assertEquals("lower f", Layers.read(o, "/moved"));
    assertEquals(FileType.CHAR_DEVICE, upper.stat("d/f").type());
    assertEquals(ino, o.getattr("/moved").ino(), "st_ino follows the object");
    assertArrayEquals(new byte[] {'y'}, upper.getXattr("d", "trusted.overlay.impure"));
  }

  @Test
  void renameFlags() throws IOException {
    assertEquals(Errno.EEXIST, errno(() -> o.rename("/top", "/big", Overlay.RENAME_NOREPLACE)));
    o.rename("/top", "/big", Overlay.RENAME_EXCHANGE);
    assertEquals("top", Layers.read(o, "/big"));
    assertTrue(Layers.read(o, "/top").startsWith("0123"));
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/top", "/x", 4)), "RENAME_WHITEOUT");
    assertEquals(Errno.ENOENT, errno(() -> o.rename("/top", "/none", Overlay.RENAME_EXCHANGE)));
    o.rename("/top", "/big", 0);
    assertEquals(Errno.ENOENT, errno(() -> o.getattr("/top")));
    assertTrue(Layers.read(o, "/big").startsWith("0123"));
    assertEquals(Errno.EISDIR, errno(() -> o.rename("/big", "/d", 0)));
    assertEquals(Errno.ENOTDIR, errno(() -> o.rename("/d", "/big", 0)));
  }

  @Test
  void renameOfALowerDirectoryIsExdevByDefault() throws IOException {
    assertEquals(Errno.EXDEV, errno(() -> o.rename("/tree", "/tree2", 0)));
    assertEquals(Errno.EXDEV, errno(() -> o.rename("/merged", "/m2", 0)));
    assertTrue(o.exists("/tree/sub/x"));
    o.mkdir("/updir", 0755);
    o.create("/updir/new", 0644, -1, -1, true).close();
    write(o, "/updir/new", "n", 0);
    o.rename("/updir", "/updir2", 0);
    assertEquals("n", Layers.read(o, "/updir2/new"));
    assertFalse(o.exists("/updir"));
  }

  @Test
  void renameOfALowerDirectoryWithRedirects() throws IOException {
    Overlay r = build(Overlay.builder().createRedirects(true).opaqueNewDirectories(true));
    r.rename("/tree", "/tree2", 0);
    assertEquals("x", Layers.read(r, "/tree2/sub/x"));
    assertFalse(r.exists("/tree"));
    assertArrayEquals("tree".getBytes(), upper.getXattr("tree2", "trusted.overlay.redirect"));
    r.mkdir("/other", 0755);
    r.rename("/tree2/sub", "/other/sub", 0);
    assertArrayEquals("/tree/sub".getBytes(), upper.getXattr("other/sub", "trusted.overlay.redirect"));
    assertEquals("x", Layers.read(r, "/other/sub/x"));
    assertFalse(r.exists("/tree2/sub"));
    // A fresh overlay over the same upper reads the redirects back.
    Overlay again = build(Overlay.builder());
    assertEquals("x", Layers.read(again, "/other/sub/x"));
    assertFalse(again.exists("/tree"));
  }

  @Test
  void hardLinkOfALowerFileCopiesItUpOnce() throws IOException {
    long ino = o.getattr("/top").ino();
    o.link("/top", "/top2");
    assertEquals(ino, o.getattr("/top2").ino());
    assertEquals(ino, o.getattr("/top").ino());
    assertEquals(2, o.getattr("/top").nlink());
    write(o, "/top2", "TOP", 0);
    assertEquals("TOP", Layers.read(o, "/top"));
    assertEquals(Errno.EPERM, errno(() -> o.link("/d", "/d2")));
    assertEquals(Errno.EEXIST, errno(() -> o.link("/top", "/big")));
  }

  @Test
  void writingThroughOneNameOfALowerHardLinkPairBreaksTheLink() throws IOException {
    l2Before = null;
    l2.link("big", "big-too");
    l2Before = LayerSnapshot.of(l2);
    long lowerIno = l2.stat("big").ino();
    write(o, "/big", "CHANGED", 0);
    assertTrue(Layers.read(o, "/big-too").startsWith("0123456789"), "the other name: old data");
    assertEquals(lowerIno, o.getattr("/big-too").ino());
    assertEquals(upper.stat("big").ino(), o.getattr("/big").ino(),
        "the written name takes the upper inode number (index=off), as the kernel reports");
  }

  @Test
  void attributeChangesCopyUp() throws IOException {
    o.chmod("/top", 0600);
    assertEquals(0600, o.getattr("/top").mode());
    assertEquals("top", Layers.read(o, "/top"));
    o.chown("/big", 42, 43);
    assertEquals(42, o.getattr("/big").uid());
    o.utimens("/d/f", 5_000_000_007L, Overlay.OMIT);
    assertEquals(5_000_000_007L, o.getattr("/d/f").atimeNanos());
    assertEquals(2_000_000_456L, o.getattr("/d/f").mtimeNanos());
  }

  @Test
  void xattrsThroughTheOverlay() throws IOException {
    o.setxattr("/top", "user.k", "v".getBytes(), 0);
    assertEquals("v", new String(o.getxattr("/top", "user.k")));
    o.setxattr("/top", "trusted.overlay.mine", "m".getBytes(), 0);
    assertArrayEquals("m".getBytes(), upper.getXattr("top", "trusted.overlay.overlay.mine"));
    assertEquals("m", new String(o.getxattr("/top", "trusted.overlay.mine")));
    assertTrue(o.listxattr("/top").contains("trusted.overlay.mine"));
    assertFalse(o.listxattr("/top").contains("trusted.overlay.origin"));
    assertEquals(Errno.EEXIST, errno(() -> o.setxattr("/top", "user.k", new byte[0], Overlay.XATTR_CREATE)));
    assertEquals(Errno.ENODATA, errno(() -> o.setxattr("/top", "user.z", new byte[0], Overlay.XATTR_REPLACE)));
    o.removexattr("/top", "user.k");
    assertEquals(Errno.ENODATA, errno(() -> o.getxattr("/top", "user.k")));
    assertEquals(Errno.ENODATA, errno(() -> o.removexattr("/big", "user.none")));
    assertNull(upper.stat("big"), "removing an absent attribute copies nothing up");
  }

  @Test
  void specialFiles() throws IOException {
    o.mknod("/fifo", FileType.FIFO, 0644, 0, -1, -1);
    assertEquals(FileType.FIFO, o.getattr("/fifo").type());
    assertEquals(Errno.EPERM, errno(() -> o.mknod("/wh", FileType.CHAR_DEVICE, 0644, 0, -1, -1)));
    o.symlink("d/f", "/sl", -1, -1);
    assertEquals("d/f", o.readlink("/sl"));
    assertEquals("lower f", Layers.read(o, "/sl"));
  }

  @Test
  void everyMutationKeepsTheCacheExact() throws IOException {
    assertTrue(o.exists("/merged/a"));
    assertFalse(o.exists("/merged/c"));
    o.unlink("/merged/a");
    assertFalse(o.exists("/merged/a"));
    o.create("/merged/c", 0644, -1, -1, false).close();
    assertTrue(o.exists("/merged/c"));
    o.rename("/merged/c", "/merged/a", 0);
    assertTrue(o.exists("/merged/a"));
    assertFalse(o.exists("/merged/c"));
    assertEquals(List.of("a", "b"), o.readdir("/merged").stream().map(DirEntry::name).sorted().toList());
  }

  @Test
  void readOnlyOverlayRefusesEveryMutation() throws IOException {
    Overlay ro = Overlay.builder().lower(l1).lower(l2).build();
    assertEquals(Errno.EROFS, errno(() -> ro.mkdir("/x", 0755)));
    assertEquals(Errno.EROFS, errno(() -> ro.unlink("/top")));
    assertEquals(Errno.EROFS, errno(() -> ro.open("/top", true, false)));
    assertEquals(Errno.EROFS, errno(() -> ro.chmod("/top", 0)));
    assertEquals(Errno.EROFS, errno(() -> ro.rename("/top", "/t", 0)));
  }

  @Test
  void metacopyCopiesDataOnlyOnTheFirstWrite() throws IOException {
    Overlay m = build(Overlay.builder().metacopy(true));
    m.chmod("/big", 0600);
    assertNotNull(upper.getXattr("big", "trusted.overlay.metacopy"));
    assertEquals(10_000, upper.stat("big").size());
    assertEquals(0, m.stats().bytesCopiedUp());
    assertTrue(Layers.read(m, "/big").startsWith("0123456789"), "data still comes from below");
    assertEquals(0600, m.getattr("/big").mode());
    write(m, "/big", "AB", 0);
    assertNull(upper.getXattr("big", "trusted.overlay.metacopy"));
    assertTrue(Layers.read(m, "/big").startsWith("AB23456789"));
    assertEquals(10_000, m.getattr("/big").size());
  }

  @Test
  void metacopyFilesThatMoveOrGainANameRedirectToTheirData() throws IOException {
    Overlay m = build(Overlay.builder().metacopy(true));
    m.rename("/big", "/d/moved", 0);
    assertEquals(0, m.stats().bytesCopiedUp(), "rename copies metadata only");
    assertArrayEquals("/big".getBytes(), upper.getXattr("d/moved", "trusted.overlay.redirect"));
    assertTrue(Layers.read(m, "/d/moved").startsWith("0123456789"));
    m.link("/top", "/top-link");
    assertEquals("top", Layers.read(m, "/top-link"));
    Overlay again = build(Overlay.builder().metacopy(true));
    assertTrue(Layers.read(again, "/d/moved").startsWith("0123456789"), "after a remount too");
    write(again, "/d/moved", "Z", 0);
    assertTrue(Layers.read(again, "/d/moved").startsWith("Z123456789"));
    assertNull(upper.getXattr("d/moved", "trusted.overlay.metacopy"));
  }

  @Test
  void aReaderOpenBeforeACopyUpSeesTheWritesAfterIt() throws IOException {
    try (OverlayFile reader = o.openRead("/top")) {
      ByteBuffer b = ByteBuffer.allocate(3);
      reader.read(b, 0);
      write(o, "/top", "TOP", 0);
      b.clear();
      reader.read(b, 0);
      assertEquals("TOP", new String(b.array(), StandardCharsets.UTF_8),
          "as the kernel does: reads move to the upper copy");
    }
  }

  @Test
  void concurrentTriggersCopyUpOnce() throws Exception {
    int threads = 8;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
    List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int n = i;
      done.add(pool.submit(() -> {
        start.await();
        if (n % 2 == 0) {
          o.open("/big", true, false).close();
        } else {
          o.chmod("/big", 0644);
        }
        return null;
      }));
    }
    for (var f : done) {
      f.get();
    }
    pool.shutdown();
    assertEquals(1, o.stats().copyUps(), "one copy-up of the file, however many triggers");
    assertEquals(10_000, o.stats().bytesCopiedUp());
    assertTrue(Layers.read(o, "/big").startsWith("0123456789"));
  }

  @Test
  void setuidCopyUpKeepsTheBitsWhileOwnerIsKept() throws IOException {
    l2Before = null; // this test writes l2 below; snapshot again afterwards
    Layers.of(l2).file("suid", "#!/bin/sh");
    l2.chmod("suid", 04755);
    l2Before = LayerSnapshot.of(l2);
    o.utimens("/suid", 1L, 1L);
    assertEquals(04755, o.getattr("/suid").mode(), "a copy-up keeps owner, so keeps set-id bits");
    o.chown("/suid", 7, 7);
    assertEquals(0755, o.getattr("/suid").mode(), "chown clears set-user-ID, as chown(2) does");
  }

  // ---- the kernel's errno order and checks (each verified against mount -t overlay) ----

  private static final int NOREPLACE = Overlay.RENAME_NOREPLACE;
  private static final int EXCHANGE = Overlay.RENAME_EXCHANGE;
  private static final int WHITEOUT = 4;
  private static final String OPAQUE = "trusted.overlay.opaque";
  private static final String REDIRECT = "trusted.overlay.redirect";

  @Test
  void renameErrorsComeInTheKernelsOrder() throws IOException {
    o.mkdir("/ud", 0755);
    o.mkdir("/ud/sub", 0755);
    o.mkdir("/ud2", 0755);
    o.create("/ud2/z", 0644, -1, -1, true).close();
    // do_renameat2(): the flags, before any lookup
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/missing/a", "/x", 8)));
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/missing", "/x", EXCHANGE | WHITEOUT)));
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/missing", "/x", EXCHANGE | NOREPLACE)));
    // then the source
    assertEquals(Errno.ENOENT, errno(() -> o.rename("/missing", "/x", WHITEOUT)));
    assertEquals(Errno.ENOENT, errno(() -> o.rename("/missing", "/x", NOREPLACE | WHITEOUT)));
    assertEquals(Errno.ENOENT, errno(() -> o.rename("/missing", "/top", NOREPLACE)));
    // then the target
    assertEquals(Errno.EEXIST, errno(() -> o.rename("/top", "/top", NOREPLACE)));
    assertEquals(Errno.EEXIST, errno(() -> o.rename("/d", "/d/f", NOREPLACE)));
    assertEquals(Errno.ENOENT, errno(() -> o.rename("/top", "/none", EXCHANGE)));
    assertEquals(Errno.ENOENT, errno(() -> o.rename("/ud", "/ud/none", EXCHANGE)));
    // lock_rename()'s traps
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/ud", "/ud/sub/x", 0)));
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/ud", "/ud/sub/x", WHITEOUT)));
    assertEquals(Errno.ENOTEMPTY, errno(() -> o.rename("/ud/sub", "/ud", 0)));
    assertEquals(Errno.ENOTEMPTY, errno(() -> o.rename("/ud/sub", "/ud", WHITEOUT)));
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/ud/sub", "/ud", EXCHANGE)));
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/ud", "/ud/sub", EXCHANGE)));
    // one object (one name, or two hard links of one inode): nothing to do, RENAME_WHITEOUT too
    o.rename("/top", "/top", WHITEOUT);
    o.rename("/d", "/d", WHITEOUT);
    o.link("/top", "/top-link");
    o.rename("/top", "/top-link", WHITEOUT);
    o.rename("/top", "/top-link", 0);
    assertTrue(o.exists("/top") && o.exists("/top-link"));
    // vfs_rename()'s type checks, then ovl_rename()'s RENAME_WHITEOUT, EXDEV, ENOTEMPTY
    assertEquals(Errno.ENOTDIR, errno(() -> o.rename("/d", "/top", WHITEOUT)));
    assertEquals(Errno.EISDIR, errno(() -> o.rename("/top", "/d", WHITEOUT)));
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/tree", "/x", WHITEOUT)));
    assertEquals(Errno.EINVAL, errno(() -> o.rename("/ud", "/ud2", WHITEOUT)));
    assertEquals(Errno.EXDEV, errno(() -> o.rename("/tree", "/ud2", 0)));
    assertEquals(Errno.EXDEV, errno(() -> o.rename("/top", "/tree", EXCHANGE)));
    assertEquals(Errno.ENOTEMPTY, errno(() -> o.rename("/ud", "/ud2", 0)));
    assertEquals(Errno.ENOTEMPTY, errno(() -> o.rename("/ud", "/merged", 0)));
    assertTrue(o.exists("/tree/sub/x") && o.exists("/ud/sub") && o.exists("/ud2/z"));
    assertNull(upper.stat("tree"), "nothing of a refused directory was copied up");
  }

  @Test
  void aRenameOverANonEmptyUpperDirectoryFailsAfterMarkingTheMovedOneOpaque() throws IOException {
    o.mkdir("/newd", 0755);
    o.mkdir("/ud2", 0755);
    o.create("/ud2/z", 0644, -1, -1, true).close();
    assertNull(upper.getXattr("newd", OPAQUE));
    assertEquals(Errno.ENOTEMPTY, errno(() -> o.rename("/newd", "/ud2", 0)));
    assertArrayEquals(new byte[] {'y'}, upper.getXattr("newd", OPAQUE),
        "as the kernel: ovl_rename marks it before the upper file system refuses the rename");
  }

  @Test
  void linkErrorsComeInTheKernelsOrder() throws IOException {
    assertEquals(Errno.EEXIST, errno(() -> o.link("/d", "/top")), "the new name before EPERM");
    assertEquals(Errno.ENOENT, errno(() -> o.link("/missing", "/top/x")), "the source first");
    assertEquals(Errno.ENOENT, errno(() -> o.link("/missing", "/nodir/x")));
    assertEquals(Errno.ENOENT, errno(() -> o.link("/d", "/nodir/x")));
    assertEquals(Errno.ENOTDIR, errno(() -> o.link("/top", "/big/x")));
    assertEquals(Errno.EPERM, errno(() -> o.link("/d", "/newx")));
    assertNull(upper.stat("top"), "nothing copied up");
  }

  @Test
  void userXattrsOnlyOnRegularFilesAndDirectoriesRefusedBeforeAnyCopyUp() throws IOException {
    l2Before = null; // this test adds special files to l2
    Layers.of(l2).symlink("lsym", "big");
    l2.mknod("lfifo", FileType.FIFO, 0644, 0);
    l2Before = LayerSnapshot.of(l2);
    o.mknod("/ufifo", FileType.FIFO, 0644, 0, -1, -1);
    o.symlink("top", "/usym", -1, -1);
    for (String p : List.of("/lsym", "/lfifo", "/ufifo", "/usym")) {
      assertEquals(Errno.EPERM, errno(() -> o.setxattr(p, "user.a", "1".getBytes(), 0)), p);
      assertEquals(Errno.EPERM, errno(() -> o.removexattr(p, "user.a")), p);
    }
    assertNull(upper.stat("lsym"), "xattr_permission() refuses before the overlay copies up");
    assertNull(upper.stat("lfifo"));
    assertNull(upper.stat("top"), "the link is not followed");
    o.setxattr("/d", "user.ok", "1".getBytes(), 0);
    assertEquals("1", new String(o.getxattr("/d", "user.ok")));
  }

  @Test
  void truncateOfAnythingButARegularFileNeverOpensIt() throws IOException {
    l2Before = null;
    l2.mknod("lfifo", FileType.FIFO, 0644, 0);
    l2Before = LayerSnapshot.of(l2);
    o.mknod("/ufifo", FileType.FIFO, 0644, 0, -1, -1);
    assertEquals(Errno.EINVAL, errno(() -> o.truncate("/lfifo", 0)));
    assertEquals(Errno.EINVAL, errno(() -> o.truncate("/ufifo", 0)));
    assertEquals(Errno.EISDIR, errno(() -> o.truncate("/d", 0)));
    assertEquals(Errno.ENOENT, errno(() -> o.truncate("/missing", 0)));
    assertEquals(Errno.EINVAL, errno(() -> o.truncate("/lfifo", -1)));
    assertNull(upper.stat("lfifo"));
    o.symlink("top", "/tsym", -1, -1);
    o.truncate("/tsym", 1); // follows the link
    assertEquals("t", Layers.read(o, "/top"));
  }

  @Test
  void exchangeMakesEachMovedUpperDirectoryOpaqueInAMergedParent() throws IOException {
    o.mkdir("/ud", 0755);
    o.mkdir("/ud/x", 0755);
    o.mkdir("/merged/sub", 0755);
    assertNull(upper.getXattr("merged/sub", OPAQUE), "a new name gets no marker by default");
    o.rename("/ud", "/merged/sub", EXCHANGE);
    assertArrayEquals(new byte[] {'y'}, upper.getXattr("merged/sub", OPAQUE));
    assertArrayEquals(new byte[] {'y'}, upper.getXattr("ud", OPAQUE), "the other way too");
    assertTrue(o.exists("/merged/sub/x"));
    o.mkdir("/ud3", 0755);
    o.rename("/ud3", "/top", EXCHANGE);
    assertArrayEquals(new byte[] {'y'}, upper.getXattr("top", OPAQUE));
    assertEquals("top", Layers.read(o, "/ud3"));
  }

  @Test
  void exchangeOfLowerDirectoriesWithRedirectsKeepsTheirContents() throws IOException {
    Overlay r = build(Overlay.builder().createRedirects(true).opaqueNewDirectories(true));
    r.mkdir("/ud", 0755);
    r.create("/ud/u", 0644, -1, -1, true).close();
    r.rename("/tree", "/merged", EXCHANGE);
    r.rename("/ud", "/d", EXCHANGE);
    assertArrayEquals("tree".getBytes(), upper.getXattr("merged", REDIRECT));
    assertArrayEquals("merged".getBytes(), upper.getXattr("tree", REDIRECT));
    assertArrayEquals("d".getBytes(), upper.getXattr("ud", REDIRECT));
    assertArrayEquals(new byte[] {'y'}, upper.getXattr("d", OPAQUE));
    for (Overlay v : List.of(r, build(Overlay.builder()))) { // the writer, and a fresh overlay
      assertEquals("x", Layers.read(v, "/merged/sub/x"));
      assertEquals(List.of("a", "b"),
          v.readdir("/tree").stream().map(DirEntry::name).sorted().toList());
      assertEquals("lower f", Layers.read(v, "/ud/f"));
      assertEquals(List.of("u"), v.readdir("/d").stream().map(DirEntry::name).toList());
    }
  }

  @Test
  void withRedirectsEveryNewDirectoryInAMergedParentIsOpaqueTheRootToo() throws IOException {
    Overlay r = build(Overlay.builder().createRedirects(true).opaqueNewDirectories(true));
    r.mkdir("/fresh", 0755);
    r.mkdir("/merged/fresh", 0755);
    r.mkdir("/fresh/inner", 0755);
    assertArrayEquals(new byte[] {'y'}, upper.getXattr("fresh", OPAQUE));
    assertArrayEquals(new byte[] {'y'}, upper.getXattr("merged/fresh", OPAQUE));
    assertNull(upper.getXattr("fresh/inner", OPAQUE), "its parent has no lower copies");
  }

  @Test
  void renameOverOneNameOfALowerHardLinkPairTakesTheUpperInode() throws IOException {
    l2Before = null;
    l2.link("big", "big-too");
    l2Before = LayerSnapshot.of(l2);
    long lowerIno = l2.stat("big").ino();
    assertEquals(lowerIno, o.getattr("/big").ino());
    o.rename("/big", "/big-too", 0);
    long upperIno = upper.stat("big-too").ino();
    assertEquals(upperIno, o.getattr("/big-too").ino(),
        "index=off: the copy-up broke the link, the kernel reports the upper inode");
    assertEquals(upperIno, o.readdir("/").stream().filter(e -> e.name().equals("big-too"))
        .findFirst().orElseThrow().ino(), "and readdir's d_ino agrees");
    assertEquals(upperIno, build(Overlay.builder()).getattr("/big-too").ino(), "after remount");
  }

  @Test
  void aDirectoryCopiedUpFiltersTheWhiteoutsOfItsLowerCopyFromThenOn() throws IOException {
    l2Before = null;
    Layers.of(l2).whiteout("tree/gone");
    l2Before = LayerSnapshot.of(l2);
    assertEquals(List.of("gone", "sub"),
        o.readdir("/tree").stream().map(DirEntry::name).sorted().toList(),
        "one copy: passed through unfiltered, as the kernel lists it");
    o.chmod("/tree", 0700); // copies the directory up: merged now
    assertEquals(List.of("sub"), o.readdir("/tree").stream().map(DirEntry::name).toList(),
        "the cached listing of the directory itself is forgotten on copy-up");
  }

  @Test
  void aDirectoryHoldingALowerXattrWhiteoutIsNotEmptyForRmdirOrRename() throws IOException {
    l1Before = null;
    Layers.of(l1).xattrWhiteout("xw/w").opaque("marked");
    l1.setXattr("marked", "trusted.overlay.opaque", new byte[] {'x'});
    Layers.of(l1).xattrWhiteout("marked/w");
    l1Before = LayerSnapshot.of(l1);
    assertFalse(o.exists("/xw/w"));
    o.mkdir("/e", 0755);
    for (String d : List.of("/xw", "/marked")) {
      // ovl_check_empty_dir() does not resolve xattr whiteouts (the kernel: ENOTEMPTY)
      assertEquals(Errno.ENOTEMPTY, errno(() -> o.rmdir(d)), d);
      assertEquals(Errno.ENOTEMPTY, errno(() -> o.rename("/e", d, 0)), d);
    }
  }

  @Test
  void chownClearsSetIdBitsOfAFifoToo() throws IOException {
    o.mknod("/fifo", FileType.FIFO, 0644, 0, -1, -1);
    o.chmod("/fifo", 06755);
    o.chown("/fifo", 0, 0);
    assertEquals(0755, o.getattr("/fifo").mode(), "chown_common() kills set-id of non-directories");
  }
}
