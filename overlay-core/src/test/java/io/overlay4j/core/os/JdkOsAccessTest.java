package io.overlay4j.core.os;

import io.overlay4j.core.Stat;

import static io.overlay4j.core.os.NativeOsAccessTest.assertErrno;
import static io.overlay4j.core.os.NativeOsAccessTest.isRoot;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlay4j.core.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pure-JDK fallback on the same host; where it can answer, it must agree with Linux. */
class JdkOsAccessTest {

  final OsAccess os = OsAccess.jdk();

  @TempDir Path dir;

  @Test
  void isTheFallback() {
    assertFalse(os.isNative());
    assertTrue(Holder.choose(" JDK ") == os);
  }

  @Test
  void userXattrsOnly() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    assertNull(os.getXattr(f, "user.x"));
    assertEquals(List.of(), os.listXattrs(f));
    os.setXattr(f, "user.x", new byte[] {1, 2});
    os.setXattr(f, "user.overlay.opaque", "y".getBytes());
    assertArrayEquals(new byte[] {1, 2}, os.getXattr(f, "user.x"));
    os.setXattr(f, "user.x", new byte[] {3}); // replaces
    assertArrayEquals(new byte[] {3}, os.getXattr(f, "user.x"));
    assertEquals(
        List.of("user.overlay.opaque", "user.x"), os.listXattrs(f).stream().sorted().toList());
    os.removeXattr(f, "user.x");
    assertNull(os.getXattr(f, "user.x"));
    assertErrno(Errno.ENODATA, () -> os.removeXattr(f, "user.x"));
    assertErrno(Errno.EOPNOTSUPP, () -> os.setXattr(f, "trusted.overlay.opaque", new byte[] {'y'}));
    assertErrno(Errno.EOPNOTSUPP, () -> os.getXattr(f, "trusted.overlay.opaque"));
    assertErrno(Errno.ENOENT, () -> os.getXattr(dir.resolve("missing"), "user.x"));
    assertErrno(Errno.ENOENT, () -> os.setXattr(dir.resolve("missing"), "user.x", new byte[1]));
    assertErrno(Errno.ENOENT, () -> os.listXattrs(dir.resolve("missing")));
  }

  @Test
  void symlinksCarryNoUserXattrs() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    os.setXattr(f, "user.x", new byte[] {1});
    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    assertNull(os.getXattr(link, "user.x"), "must not read through the link");
    assertEquals(List.of(), os.listXattrs(link));
    assertErrno(Errno.EPERM, () -> os.setXattr(link, "user.x", new byte[1]));
    assertErrno(Errno.EPERM, () -> os.removeXattr(link, "user.x"));
    OsAccess nat = NativeOsAccess.loadOrNull();
    if (nat != null) { // the kernel's answers, which the fallback imitates
      assertNull(nat.getXattr(link, "user.x"));
      assertErrno(Errno.EPERM, () -> nat.setXattr(link, "user.x", new byte[1]));
      assertErrno(Errno.EPERM, () -> nat.removeXattr(link, "user.x"));
    }
  }

  @Test
  void fifosNeverBlock() throws IOException {
    // The JDK opens files for some attribute calls; opening a FIFO would wait for a writer.
    OsAccess nat = NativeOsAccess.loadOrNull();
    assumeTrue(nat != null, "making a FIFO needs native access");
    Path fifo = dir.resolve("fifo");
    nat.mknod(fifo, OsAccess.S_IFIFO | 0644, 0);
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      os.chmod(fifo, 0600);
      assertEquals(0600, os.lstat(fifo).mode());
      assertEquals(OsAccess.S_IFIFO, (os.lstat(fifo).stMode() & OsAccess.S_IFMT));
      assertNull(os.getXattr(fifo, "user.x"));
      assertEquals(List.of(), os.listXattrs(fifo));
      assertErrno(Errno.EPERM, () -> os.setXattr(fifo, "user.x", new byte[1]));
      assertErrno(Errno.EOPNOTSUPP, () -> os.utimens(fifo, 0, 0));
      assertErrno(Errno.EINVAL, () -> os.copyFileData(fifo, fifo, false));
      if (isRoot()) {
        os.lchown(fifo, 77, 88);
        assertEquals(77, os.lstat(fifo).uid());
      }
    });
  }

  @Test
  void mknodRegularFilesOnly() throws IOException {
    Path reg = dir.resolve("reg");
    os.mknod(reg, OsAccess.S_IFREG | 0600, 0);
    assertTrue(Files.isRegularFile(reg, NOFOLLOW_LINKS));
    assertEquals(0600, os.lstat(reg).mode());
    assertErrno(Errno.EEXIST, () -> os.mknod(reg, OsAccess.S_IFREG | 0600, 0));
    assertErrno(Errno.EPERM, () -> os.mknod(dir.resolve("wh"), OsAccess.S_IFCHR, 0));
    assertErrno(Errno.EOPNOTSUPP, () -> os.mknod(dir.resolve("fifo"), OsAccess.S_IFIFO | 0644, 0));
    assertFalse(Files.exists(dir.resolve("wh"), NOFOLLOW_LINKS));
  }

  @Test
  void rename() throws IOException {
    Path a = Files.writeString(dir.resolve("a"), "A");
    Path b = Files.writeString(dir.resolve("b"), "B");
    assertErrno(Errno.EEXIST, () -> os.rename(a, b, OsAccess.RENAME_NOREPLACE));
    assertErrno(Errno.EINVAL, () -> os.rename(a, b, OsAccess.RENAME_EXCHANGE));
    assertErrno(Errno.EINVAL, () -> os.rename(a, b, OsAccess.RENAME_WHITEOUT));
    assertEquals("A", Files.readString(a));
    Path c = dir.resolve("c");
    os.rename(a, c, OsAccess.RENAME_NOREPLACE);
    assertEquals("A", Files.readString(c));
    os.rename(c, b, 0);
    assertEquals("A", Files.readString(b));
    assertFalse(Files.exists(c));
    assertErrno(Errno.ENOENT, () -> os.rename(c, a, 0));
    Path d = Files.createDirectory(dir.resolve("d"));
    Path e = Files.createDirectory(dir.resolve("e"));
    Files.createFile(e.resolve("child"));
    assertErrno(Errno.ENOTEMPTY, () -> os.rename(d, e, 0));
  }

  @Test
  void copyFileData() throws IOException {
    Random random = new Random(3);
    for (int size : new int[] {0, 1, 5 * 1024 * 1024}) {
      byte[] data = new byte[size];
      random.nextBytes(data);
      Path src = Files.write(dir.resolve("src" + size), data);
      Path dst = dir.resolve("dst" + size);
      assertEquals(CopyMethod.READ_WRITE, os.copyFileData(src, dst, true));
      assertArrayEquals(data, Files.readAllBytes(dst));
    }
    Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("src1"));
    assertErrno(Errno.EINVAL, () -> os.copyFileData(link, dir.resolve("dst1"), false));
  }

  @Test
  void utimens() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    long atime = 1_600_000_000_123_456_789L;
    long mtime = 1_500_000_000_987_654_321L;
    os.utimens(f, atime, mtime);
    Stat st = os.lstat(f);
    // JDK 17 on Linux sets times of files with futimens: nanoseconds survive.
    assertEquals(mtime, st.mtimeNanos());
    assertEquals(atime, st.atimeNanos());
    os.utimens(f, OsAccess.OMIT_TIME, 5_000_000_000L);
    assertEquals(atime, os.lstat(f).atimeNanos());
    assertEquals(5_000_000_000L, os.lstat(f).mtimeNanos());
    assertErrno(Errno.ENOENT, () -> os.utimens(dir.resolve("missing"), 0, 0));
  }

  @Test
  void utimensOnASymlinkLeavesTheTarget() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    os.utimens(f, 7_000_000_000L, 7_000_000_000L);
    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    os.utimens(link, 9_000_000_000L, 9_000_123_456L);
    assertEquals(7_000_000_000L, os.lstat(f).mtimeNanos(), "target untouched");
    // ...but of symlinks with lutimes: microseconds only.
    assertEquals(9_000_123_000L, os.lstat(link).mtimeNanos());
  }

  @Test
  void chmodAndLchown() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    os.chmod(f, 04750);
    assertEquals(04750, os.lstat(f).mode());
    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    os.chmod(link, 0600);
    assertEquals(04750, os.lstat(f).mode(), "target untouched");
    assumeTrue(isRoot(), "chown to other users needs CAP_CHOWN");
    os.lchown(f, 1234, 5678);
    assertEquals(1234, os.lstat(f).uid());
    assertEquals(5678, os.lstat(f).gid());
    os.lchown(link, 4321, -1);
    assertEquals(4321, os.lstat(link).uid());
    assertEquals(1234, os.lstat(f).uid(), "target untouched");
  }

  @Test
  void lstat() throws IOException {
    Path f = Files.writeString(dir.resolve("f"), "hello");
    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    for (Path p : List.of(f, link, dir)) {
      Stat st = os.lstat(p);
      Map<String, Object> a = Files.readAttributes(p, "unix:*", NOFOLLOW_LINKS);
      assertEquals(a.get("ino"), st.ino());
      assertEquals(a.get("mode"), st.stMode());
      assertEquals(a.get("nlink"), st.nlink());
      assertEquals(a.get("size"), st.size());
    }
    assertTrue(os.lstat(link).isSymlink());
    assertEquals(5, os.lstat(f).size());
    assertEquals(1, os.lstat(f).blocks(), "estimated from the size");
    assertNull(os.lstat(dir.resolve("missing")));
    assertNull(os.lstat(dir.resolve("missing/deeper")));
  }

  @Test
  void lstatMatchesNativeWhereBothExist() throws IOException {
    OsAccess nat = NativeOsAccess.loadOrNull();
    assumeTrue(nat != null, "no native access on this host");
    Path f = Files.writeString(dir.resolve("f"), "x".repeat(10_000));
    Stat n = nat.lstat(f);
    assertEquals(n, NativeOsAccessTest.withBlocks(os.lstat(f), n.blocks()));
  }

  @Test
  void statVfs() throws IOException {
    StatVfs v = os.statVfs(dir);
    assertTrue(v.blocks() > 0 && v.bsize() > 0, v.toString());
    assertTrue(v.bfree() <= v.blocks() && v.bavail() <= v.bfree(), v.toString());
    assertEquals(255, v.namemax());
    OsAccess nat = NativeOsAccess.loadOrNull();
    if (nat != null) {
      StatVfs n = nat.statVfs(dir);
      assertEquals(n.blocks() * n.frsize(), v.blocks() * v.frsize());
    }
    assertErrno(Errno.ENOENT, () -> os.statVfs(dir.resolve("missing")));
  }

  @Test
  void handlesAndUuidAreUnsupported() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    assertNull(os.nameToHandle(f));
    assertNull(os.statOfHandle(dir, new FileHandle(1, new byte[8], 1)));
    assertNull(os.filesystemUuid(dir));
  }

  @Test
  void lastModifiedTimeKeepsNanosInTheJdk() throws IOException {
    // Documents the precision the fallback's lstat reports on this JDK.
    Path f = Files.createFile(dir.resolve("f"));
    OsAccess nat = NativeOsAccess.loadOrNull();
    assumeTrue(nat != null, "no native access on this host");
    nat.utimens(f, 1_000_000_000_123_456_789L, 1_000_000_000_123_456_789L);
    assertEquals(1_000_000_000_123_456_789L, os.lstat(f).mtimeNanos());
    assertEquals(
        1_000_000_000_123_456_789L, Files.getLastModifiedTime(f).to(TimeUnit.NANOSECONDS));
  }
}
