package io.overlay4j.core.os;

import io.overlay4j.core.Stat;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlay4j.core.Errno;
import io.overlay4j.core.OverlayException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The glibc implementation against the real host. Temp files live under java.io.tmpdir (/tmp,
 * ext4 on the reference machine); some tests also use /dev/shm (tmpfs) where present. Root-only
 * operations (trusted.* xattrs, device nodes, chown, open_by_handle_at) are skipped with a reason
 * when not root.
 */
class NativeOsAccessTest {

  static OsAccess os;

  @TempDir Path dir;

  @BeforeAll
  static void bind() {
    String osName = System.getProperty("os.name");
    String arch = System.getProperty("os.arch");
    assumeTrue(
        osName.equals("Linux") && (arch.equals("amd64") || arch.equals("aarch64")),
        "native OS access exists only for Linux x86_64/aarch64, not " + osName + "/" + arch);
    // On a supported host the binding must load: a silent fallback would hide a broken seam.
    os = NativeOsAccess.loadOrNull();
    assertNotNull(os, "jnr-ffi could not bind glibc on a supported host");
  }

  static boolean isRoot() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
  }

  static Errno errnoOf(IOException e) {
    return ((OverlayException) e).errno();
  }

  static void assertErrno(Errno expected, ThrowingRunnable r) {
    OverlayException e = assertThrows(OverlayException.class, r::run);
    assertEquals(expected, e.errno(), e.getMessage());
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void systemIsNativeHere() {
    assertTrue(OsAccess.system().isNative() || "jdk".equals(System.getProperty("overlay4j.os")));
    assertTrue(os.isNative());
    assertFalse(Holder.choose("jdk").isNative());
    assertTrue(Holder.choose(null).isNative());
  }

  // ---- xattrs

  @Test
  void trustedXattrRoundTrip() throws IOException {
    assumeTrue(isRoot(), "trusted.* xattrs need CAP_SYS_ADMIN");
    Path d = Files.createDirectory(dir.resolve("d"));
    assertNull(os.getXattr(d, "trusted.overlay.opaque"));
    os.setXattr(d, "trusted.overlay.opaque", "y".getBytes(UTF_8));
    assertArrayEquals("y".getBytes(UTF_8), os.getXattr(d, "trusted.overlay.opaque"));
    assertTrue(os.listXattrs(d).contains("trusted.overlay.opaque"));
    os.setXattr(d, "trusted.overlay.opaque", "x".getBytes(UTF_8)); // replaces
    assertArrayEquals("x".getBytes(UTF_8), os.getXattr(d, "trusted.overlay.opaque"));
    os.removeXattr(d, "trusted.overlay.opaque");
    assertNull(os.getXattr(d, "trusted.overlay.opaque"));
    assertFalse(os.listXattrs(d).contains("trusted.overlay.opaque"));
    assertErrno(Errno.ENODATA, () -> os.removeXattr(d, "trusted.overlay.opaque"));
  }

  @Test
  void userXattrRoundTripAndAgreesWithJdk() throws IOException {
    Path f = Files.writeString(dir.resolve("f"), "data");
    os.setXattr(f, "user.x", new byte[] {1, 2, 3});
    assertArrayEquals(new byte[] {1, 2, 3}, os.getXattr(f, "user.x"));
    os.setXattr(f, "user.empty", new byte[0]);
    assertArrayEquals(new byte[0], os.getXattr(f, "user.empty"));
    os.removeXattr(f, "user.empty");
    assertArrayEquals(new byte[] {1, 2, 3}, OsAccess.jdk().getXattr(f, "user.x"));
    OsAccess.jdk().setXattr(f, "user.y", new byte[0]); // empty values are values
    assertArrayEquals(new byte[0], os.getXattr(f, "user.y"));
    assertTrue(os.listXattrs(f).containsAll(List.of("user.x", "user.y")));
    assertEquals(os.listXattrs(f), OsAccess.jdk().listXattrs(f));
    os.removeXattr(f, "user.x");
    assertNull(OsAccess.jdk().getXattr(f, "user.x"));
  }

  @Test
  void xattrsOfASymlinkItself() throws IOException {
    assumeTrue(isRoot(), "trusted.* xattrs need CAP_SYS_ADMIN");
    Path target = Files.createFile(dir.resolve("target"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);
    os.setXattr(link, "trusted.overlay.redirect", "/a".getBytes(UTF_8));
    assertArrayEquals("/a".getBytes(UTF_8), os.getXattr(link, "trusted.overlay.redirect"));
    assertNull(os.getXattr(target, "trusted.overlay.redirect"), "must not follow the link");
  }

  @Test
  void bigXattrValueAndListRetryOnErange() throws IOException {
    // Larger than the 4 KiB scratch buffer, so lgetxattr answers ERANGE first. ext4 without
    // ea_inode cannot store that; tmpfs can.
    Path shm = Path.of("/dev/shm");
    assumeTrue(Files.isDirectory(shm) && isRoot(), "needs /dev/shm (tmpfs) and root");
    Path f = Files.createTempFile(shm, "overlay4j-xattr", "");
    try {
      byte[] big = new byte[20_000];
      new Random(1).nextBytes(big);
      os.setXattr(f, "trusted.big", big);
      assertArrayEquals(big, os.getXattr(f, "trusted.big"));
      for (int i = 0; i < 40; i++) { // > 4 KiB of names
        os.setXattr(f, "trusted." + "n".repeat(120) + i, new byte[] {(byte) i});
      }
      List<String> names = os.listXattrs(f);
      assertEquals(41, names.size(), names.toString());
      assertTrue(names.contains("trusted." + "n".repeat(120) + 39));
    } finally {
      Files.delete(f);
    }
  }

  @Test
  void xattrErrors() throws IOException {
    Path missing = dir.resolve("missing");
    assertErrno(Errno.ENOENT, () -> os.getXattr(missing, "user.x"));
    assertErrno(Errno.ENOENT, () -> os.listXattrs(missing));
    assertErrno(Errno.ENOENT, () -> os.setXattr(missing, "user.x", new byte[1]));
    Path f = Files.createFile(dir.resolve("f"));
    assertNull(os.getXattr(f, "user.absent"));
    assertErrno(Errno.ENODATA, () -> os.removeXattr(f, "user.absent"));
    assertErrno(Errno.EOPNOTSUPP, () -> os.setXattr(f, "bogus.x", new byte[1]));
  }

  // ---- mknod

  @Test
  void mknodWhiteout() throws IOException {
    assumeTrue(isRoot(), "device nodes need CAP_MKNOD");
    Path wh = dir.resolve("wh");
    os.mknod(wh, OsAccess.S_IFCHR, OsAccess.makedev(0, 0));
    Stat st = os.lstat(wh);
    assertTrue(st.type() == io.overlay4j.core.FileType.CHAR_DEVICE, Integer.toOctalString(st.stMode()));
    assertEquals(0, st.rdev());
    assertEquals(0L, ((Number) Files.getAttribute(wh, "unix:rdev", NOFOLLOW_LINKS)).longValue());
    assertErrno(Errno.EEXIST, () -> os.mknod(wh, OsAccess.S_IFCHR, 0));
  }

  @Test
  void mknodDevicesFifosAndFiles() throws IOException {
    assumeTrue(isRoot(), "device nodes need CAP_MKNOD");
    Path nul = dir.resolve("null");
    os.mknod(nul, OsAccess.S_IFCHR | 0666, OsAccess.makedev(1, 3));
    Stat st = os.lstat(nul);
    assertEquals(OsAccess.makedev(1, 3), st.rdev());
    assertEquals(259L, st.rdev());
    assertEquals(st.rdev(), ((Number) Files.getAttribute(nul, "unix:rdev", NOFOLLOW_LINKS)).longValue());
    Path big = dir.resolve("bigdev");
    // The kernel keeps 12 major / 20 minor bits; a minor above 255 uses glibc's split encoding.
    os.mknod(big, OsAccess.S_IFBLK | 0600, OsAccess.makedev(0x123, 0x45678));
    Stat bst = os.lstat(big);
    assertEquals(OsAccess.S_IFBLK, (bst.stMode() & OsAccess.S_IFMT));
    assertEquals(0x123, OsAccess.major(bst.rdev()));
    assertEquals(0x45678, OsAccess.minor(bst.rdev()));
    assertEquals(0x45612378L, bst.rdev()); // glibc makedev, checked in C
    assertEquals(bst.rdev(), ((Number) Files.getAttribute(big, "unix:rdev", NOFOLLOW_LINKS)).longValue());
    assertErrno(Errno.EINVAL, () -> os.mknod(dir.resolve("toobig"), OsAccess.S_IFCHR, OsAccess.makedev(0x12345, 0)));

    Path fifo = dir.resolve("fifo");
    os.mknod(fifo, OsAccess.S_IFIFO | 0644, 0);
    assertEquals(OsAccess.S_IFIFO, (os.lstat(fifo).stMode() & OsAccess.S_IFMT));
    Path reg = dir.resolve("reg");
    os.mknod(reg, OsAccess.S_IFREG | 0600, 0);
    assertTrue(Files.isRegularFile(reg, NOFOLLOW_LINKS));
    assertEquals(0600, os.lstat(reg).mode());
    assertErrno(Errno.ENOENT, () -> os.mknod(dir.resolve("no/such"), OsAccess.S_IFIFO, 0));
  }

  @Test
  void mknodThroughTheOldGlibcEntryPoint() throws IOException {
    assumeTrue(isRoot(), "device nodes need CAP_MKNOD");
    Path wh = dir.resolve("wh");
    assertEquals(0, ((NativeOsAccess) os).xmknod(wh, OsAccess.S_IFCHR, OsAccess.makedev(1, 5)));
    assertEquals(OsAccess.makedev(1, 5), os.lstat(wh).rdev());
    assertTrue(os.lstat(wh).type() == io.overlay4j.core.FileType.CHAR_DEVICE);
  }

  // ---- rename

  @Test
  void renameNoreplaceExchangePlainAndWhiteout() throws IOException {
    Path a = Files.writeString(dir.resolve("a"), "A");
    Path b = Files.writeString(dir.resolve("b"), "B");
    assertErrno(Errno.EEXIST, () -> os.rename(a, b, OsAccess.RENAME_NOREPLACE));
    assertEquals("A", Files.readString(a));

    os.rename(a, b, OsAccess.RENAME_EXCHANGE);
    assertEquals("B", Files.readString(a));
    assertEquals("A", Files.readString(b));

    Path c = dir.resolve("c");
    os.rename(a, c, OsAccess.RENAME_NOREPLACE);
    assertFalse(Files.exists(a, NOFOLLOW_LINKS));
    assertEquals("B", Files.readString(c));

    os.rename(c, b, 0); // plain rename replaces
    assertEquals("B", Files.readString(b));
    assertFalse(Files.exists(c, NOFOLLOW_LINKS));

    assertErrno(Errno.ENOENT, () -> os.rename(c, a, 0));
    assertErrno(Errno.EINVAL, () -> os.rename(b, a, OsAccess.RENAME_EXCHANGE | OsAccess.RENAME_NOREPLACE));
  }

  @Test
  void renameWhiteoutLeavesCharDevice() throws IOException {
    assumeTrue(isRoot(), "RENAME_WHITEOUT needs CAP_MKNOD");
    Path a = Files.writeString(dir.resolve("a"), "A");
    Path b = dir.resolve("b");
    os.rename(a, b, OsAccess.RENAME_WHITEOUT);
    assertEquals("A", Files.readString(b));
    Stat wh = os.lstat(a);
    assertTrue(wh.type() == io.overlay4j.core.FileType.CHAR_DEVICE);
    assertEquals(0, wh.rdev());
  }

  // ---- copyFileData

  @Test
  void copyFileDataExactForSeveralSizes() throws IOException {
    Random random = new Random(42);
    for (int size : new int[] {0, 1, 4096, 5 * 1024 * 1024 + 17}) {
      byte[] data = new byte[size];
      random.nextBytes(data);
      Path src = Files.write(dir.resolve("src" + size), data);
      Path dst = dir.resolve("dst" + size);
      CopyMethod method = os.copyFileData(src, dst, true);
      assertNotNull(method);
      assertArrayEquals(data, Files.readAllBytes(dst), "size " + size + " via " + method);
      if (size == 5 * 1024 * 1024 + 17) {
        System.out.println("copyFileData on " + Files.getFileStore(dir).type() + ": " + method);
      }
    }
  }

  @Test
  void copyFileDataFallsBackToReadWriteAcrossFilesystemTypes() throws IOException {
    // tmpfs -> ext4: no reflink, and copy_file_range refuses different filesystem types (EXDEV).
    Path shm = Path.of("/dev/shm");
    assumeTrue(Files.isDirectory(shm), "needs /dev/shm (tmpfs)");
    assumeTrue(!Files.getFileStore(shm).type().equals(Files.getFileStore(dir).type()),
        "needs two filesystem types");
    byte[] data = new byte[3 * 1024 * 1024 + 5];
    new Random(7).nextBytes(data);
    Path src = Files.createTempFile(shm, "overlay4j-copy", "");
    try {
      Files.write(src, data);
      Path dst = dir.resolve("dst");
      CopyMethod method = os.copyFileData(src, dst, false);
      assertEquals(CopyMethod.READ_WRITE, method);
      assertArrayEquals(data, Files.readAllBytes(dst));
    } finally {
      Files.delete(src);
    }
  }

  @Test
  void copyFileDataClonesWhereReflinksExist() throws IOException {
    // Opt-in: point OVERLAY4J_REFLINK_DIR at a directory on xfs (reflink=1), btrfs or bcachefs.
    String where = System.getenv("OVERLAY4J_REFLINK_DIR");
    assumeTrue(where != null, "set OVERLAY4J_REFLINK_DIR to a reflink-capable directory to test FICLONE");
    Path d = Files.createTempDirectory(Path.of(where), "overlay4j-clone");
    try {
      byte[] data = new byte[2 * 1024 * 1024 + 3];
      new Random(9).nextBytes(data);
      Path src = Files.write(d.resolve("src"), data);
      Path dst = d.resolve("dst");
      assertEquals(CopyMethod.CLONE, os.copyFileData(src, dst, true));
      assertArrayEquals(data, Files.readAllBytes(dst));
      Path empty = Files.createFile(d.resolve("empty"));
      Path dst0 = d.resolve("dst0");
      os.copyFileData(empty, dst0, false);
      assertEquals(0, Files.size(dst0));
    } finally {
      for (String n : new String[] {"src", "dst", "empty", "dst0"}) {
        Files.deleteIfExists(d.resolve(n));
      }
      Files.delete(d);
    }
  }

  @Test
  void copyFileDataRefusesSymlinksAndNonFiles() throws IOException {
    Path src = Files.writeString(dir.resolve("src"), "x");
    Path link = Files.createSymbolicLink(dir.resolve("link"), src);
    Path dst = dir.resolve("dst");
    assertErrno(Errno.ELOOP, () -> os.copyFileData(link, dst, false));
    // The target is created: nothing may be there, not even a symlink to follow.
    assertErrno(Errno.EEXIST, () -> os.copyFileData(src, Files.createSymbolicLink(dir.resolve("l2"), dst), false));
    assertErrno(Errno.ENOENT, () -> os.copyFileData(dir.resolve("missing"), dst, false));
    assertErrno(Errno.EEXIST, () -> os.copyFileData(src, dir, false));
    assertFalse(Files.exists(dst, java.nio.file.LinkOption.NOFOLLOW_LINKS), "nothing created on failure");
    Path d = Files.createDirectory(dir.resolve("d"));
    assertErrno(Errno.EINVAL, () -> os.copyFileData(d, dst, false));
    assumeTrue(isRoot(), "device nodes need CAP_MKNOD");
    Path fifo = dir.resolve("fifo");
    os.mknod(fifo, OsAccess.S_IFIFO | 0644, 0);
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      assertErrno(Errno.EINVAL, () -> os.copyFileData(fifo, dst, false)); // O_NONBLOCK: no hang
    });
  }

  // ---- times, owner, mode

  @Test
  void utimensNanosecondsOnFilesAndSymlinks() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    long atime = 1_600_000_000_123_456_789L;
    long mtime = 1_500_000_000_987_654_321L;
    os.utimens(f, atime, mtime);
    Stat st = os.lstat(f);
    assertEquals(atime, st.atimeNanos());
    assertEquals(mtime, st.mtimeNanos());
    assertEquals(mtime, Files.getLastModifiedTime(f).to(TimeUnit.NANOSECONDS));

    long linkTime = 1_234_567_890_000_000_001L;
    os.utimens(link, linkTime, linkTime);
    assertEquals(linkTime, os.lstat(link).mtimeNanos());
    assertEquals(mtime, os.lstat(f).mtimeNanos(), "target untouched");

    os.utimens(f, OsAccess.OMIT_TIME, 42L);
    assertEquals(atime, os.lstat(f).atimeNanos());
    assertEquals(42L, os.lstat(f).mtimeNanos());

    os.utimens(f, -1_500_000_000L, -1L); // before the epoch
    assertEquals(-1_500_000_000L, os.lstat(f).atimeNanos());
    assertEquals(-1L, os.lstat(f).mtimeNanos());
    assertErrno(Errno.ENOENT, () -> os.utimens(dir.resolve("missing"), 0, 0));
  }

  @Test
  void chmodSetsBitsAndSkipsSymlinks() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    os.chmod(f, 0640);
    assertEquals(0640, os.lstat(f).mode());
    os.chmod(f, 04755);
    assertEquals(04755, os.lstat(f).mode());
    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    os.chmod(link, 0600);
    assertEquals(04755, os.lstat(f).mode(), "target untouched");
    Path d = Files.createDirectory(dir.resolve("d"));
    os.chmod(d, 01777);
    assertEquals(01777, os.lstat(d).mode());
    assertErrno(Errno.ENOENT, () -> os.chmod(dir.resolve("missing"), 0600));
  }

  @Test
  void lchownChangesTheLinkItself() throws IOException {
    assumeTrue(isRoot(), "chown to other users needs CAP_CHOWN");
    Path f = Files.createFile(dir.resolve("f"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    os.lchown(f, 1234, 5678);
    assertEquals(1234, os.lstat(f).uid());
    assertEquals(5678, os.lstat(f).gid());
    os.lchown(link, 4321, -1);
    Stat ls = os.lstat(link);
    assertEquals(4321, ls.uid());
    assertEquals(0, ls.gid());
    assertEquals(1234, os.lstat(f).uid(), "target untouched");
    assertErrno(Errno.ENOENT, () -> os.lchown(dir.resolve("missing"), 0, 0));
  }

  // ---- stat

  @Test
  void lstatAgreesWithTheJdk() throws IOException {
    Path f = Files.writeString(dir.resolve("f"), "hello");
    Path d = Files.createDirectory(dir.resolve("d"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("f"));
    Files.createLink(dir.resolve("hard"), f);
    for (Path p : List.of(f, d, link, dir)) {
      Stat st = os.lstat(p);
      Map<String, Object> a = Files.readAttributes(p, "unix:*", NOFOLLOW_LINKS);
      assertEquals(a.get("ino"), st.ino(), p.toString());
      assertEquals(a.get("mode"), st.stMode(), p.toString());
      assertEquals(a.get("nlink"), st.nlink(), p.toString());
      assertEquals(a.get("size"), st.size(), p.toString());
      assertEquals(a.get("uid"), st.uid(), p.toString());
      assertEquals(a.get("gid"), st.gid(), p.toString());
      assertEquals(a.get("dev"), st.dev(), p.toString());
      assertEquals(a.get("rdev"), st.rdev(), p.toString());
      assertEquals(nanos(a.get("lastModifiedTime")), st.mtimeNanos(), p.toString());
      assertEquals(nanos(a.get("ctime")), st.ctimeNanos(), p.toString());
      assertEquals(st, withBlocks(OsAccess.jdk().lstat(p), st.blocks()), p.toString());
    }
    assertTrue(os.lstat(link).isSymlink());
    assertEquals(2, os.lstat(f).nlink());
    assertTrue(os.lstat(f).isRegularFile());
    assertTrue(os.lstat(d).isDirectory());
    assertTrue(os.lstat(f).blocks() >= 0);
  }

  /** The JDK cannot see st_blocks; everything else must be identical. */
  static Stat withBlocks(Stat s, long blocks) {
    return new Stat(s.type(), s.mode(), s.ino(), s.dev(), s.rdev(), s.nlink(), s.uid(), s.gid(), s.size(),
        blocks, s.atimeNanos(), s.mtimeNanos(), s.ctimeNanos());
  }

  private static long nanos(Object fileTime) {
    return ((FileTime) fileTime).to(TimeUnit.NANOSECONDS);
  }

  @Test
  void lstatMissingIsNullOtherErrorsThrow() throws IOException {
    assertNull(os.lstat(dir.resolve("missing")));
    assertNull(os.lstat(dir.resolve("missing/deeper")));
    Path f = Files.createFile(dir.resolve("f"));
    assertErrno(Errno.ENOTDIR, () -> os.lstat(f.resolve("child")));
    assertErrno(Errno.ENAMETOOLONG, () -> os.lstat(dir.resolve("n".repeat(300))));
  }

  @Test
  void nonAsciiNamesRoundTrip() throws IOException {
    Path f = Files.writeString(dir.resolve("überdatei-日本"), "x");
    assertEquals(Files.getAttribute(f, "unix:ino"), os.lstat(f).ino());
    os.setXattr(f, "user.ü", new byte[] {9});
    assertArrayEquals(new byte[] {9}, os.getXattr(f, "user.ü"));
    assertTrue(os.listXattrs(f).contains("user.ü"));
  }

  @Test
  void statVfsIsSane() throws IOException {
    StatVfs v = os.statVfs(dir);
    assertTrue(v.blocks() > 0, v.toString());
    assertTrue(v.bsize() > 0 && v.frsize() > 0, v.toString());
    assertTrue(v.bfree() <= v.blocks() && v.bavail() <= v.bfree(), v.toString());
    assertTrue(v.files() > 0 && v.ffree() <= v.files(), v.toString());
    assertEquals(255, v.namemax(), v.toString());
    assertEquals(Files.getFileStore(dir).getTotalSpace(), v.blocks() * v.frsize());
    assertErrno(Errno.ENOENT, () -> os.statVfs(dir.resolve("missing")));
  }

  // ---- handles, uuid

  @Test
  void fileHandleRoundTrip() throws IOException {
    Path f = Files.writeString(dir.resolve("f"), "x");
    FileHandle h = os.nameToHandle(f);
    assumeTrue(h != null, "filesystem of " + dir + " cannot encode file handles");
    assertTrue(h.fid().length > 0);
    assertEquals(h, os.nameToHandle(f));
    assertFalse(h.toString().isEmpty());
    assumeTrue(isRoot(), "open_by_handle_at needs CAP_DAC_READ_SEARCH");
    long ino = os.lstat(f).ino();
    assertEquals(ino, os.statOfHandle(dir, h).ino());
    assertEquals(ino, os.statOfHandle(f, h).ino(), "a file is as good as its dir");

    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    FileHandle lh = os.nameToHandle(link);
    assertFalse(lh.equals(h), "the link itself, not its target");
    assertEquals(os.lstat(link).ino(), os.statOfHandle(dir, lh).ino());

    Files.delete(f);
    assertNull(os.statOfHandle(dir, h), "stale handle");
    assertNull(os.statOfHandle(dir.resolve("missing"), lh));
    assertNull(
        os.statOfHandle(dir, new FileHandle(h.type(), new byte[] {1, 2, 3}, h.mountId())));
    assertErrno(Errno.ENOENT, () -> os.nameToHandle(f));
  }

  @Test
  void filesystemUuidOfTmp() throws IOException {
    byte[] uuid = os.filesystemUuid(dir);
    assumeTrue(uuid != null, io.overlay4j.testsupport.TestJvmArch.emulator()
        .map(e -> "FS_IOC_GETFSUUID: " + e + " (this test JVM is emulated) does not pass the"
            + " ioctl through to the kernel (qemu 7.2 logs \"Unsupported ioctl\"), so overlay4j"
            + " records a null uuid in origin under emulation")
        .orElse("FS_IOC_GETFSUUID unsupported for " + Files.getFileStore(dir).type()
            + " on this kernel"));
    assertEquals(16, uuid.length);
    assertArrayEquals(uuid, os.filesystemUuid(Files.createFile(dir.resolve("f"))), "one fs, one uuid");
    assertErrno(Errno.ENOENT, () -> os.filesystemUuid(dir.resolve("missing")));
  }

  @Test
  void makedevMatchesGlibc() {
    assertEquals(259L, OsAccess.makedev(1, 3)); // values printed by a C program with makedev()
    assertEquals(0x12006789345abL, OsAccess.makedev(0x12345, 0x6789ab));
    assertEquals(0L, OsAccess.makedev(0, 0));
    assertEquals(0xffffffffL, OsAccess.makedev(0xfff, 0xfffff));
    assertEquals(0x45612378L, OsAccess.makedev(0x123, 0x45678));
    long dev = OsAccess.makedev(0xfffff, 0xffffffffL);
    assertEquals(0xfffffL, OsAccess.major(dev));
    assertEquals(0xffffffffL, OsAccess.minor(dev));
  }

  @Test
  void concurrentLstatUsesPerThreadBuffers() throws Exception {
    Path a = Files.createFile(dir.resolve("a"));
    Path b = Files.createDirectory(dir.resolve("b"));
    long ia = os.lstat(a).ino();
    long ib = os.lstat(b).ino();
    Thread[] threads = new Thread[4];
    Throwable[] failure = new Throwable[1];
    for (int t = 0; t < threads.length; t++) {
      Path p = (t % 2 == 0) ? a : b;
      long expected = (t % 2 == 0) ? ia : ib;
      threads[t] = new Thread(() -> {
        try {
          for (int i = 0; i < 20_000; i++) {
            if (os.lstat(p).ino() != expected) {
              throw new AssertionError("wrong inode for " + p);
            }
          }
        } catch (Throwable e) {
          synchronized (failure) {
            failure[0] = e;
          }
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure[0] != null) {
      throw new AssertionError(failure[0]);
    }
  }
}
