package io.overlay4j.fuse;

import static io.overlay4j.fuse.FuseTestSupport.sh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.overlay4j.testsupport.TestJvmArch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Ordinary file operations through a real overlay4j FUSE mount, from Java and from the shell. */
class MountTest {
  TestMount t;

  @BeforeEach
  void mount() throws Exception {
    FuseTestSupport.assumeFuseMounts();
    t = new TestMount();
    Files.writeString(t.l1.resolve("top"), "top");
    Files.createDirectories(t.l1.resolve("dir"));
    Files.writeString(t.l1.resolve("dir/a"), "a");
    Files.createDirectories(t.l2.resolve("dir"));
    Files.writeString(t.l2.resolve("dir/b"), "b");
    Files.writeString(t.l2.resolve("big"), "x".repeat(1 << 20));
    Files.createDirectories(t.l2.resolve("tree/sub"));
    Files.writeString(t.l2.resolve("tree/sub/leaf"), "leaf");
    t.mount();
  }

  @AfterEach
  void unmount() throws Exception {
    if (t != null) {
      t.close();
    }
  }

  private Path m(String p) {
    return t.merged.resolve(p);
  }

  private static long ino(Path p) throws IOException {
    return (Long) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * The mount is served by this JVM: on the architecture the run asked for ({@code ./overlay4j
   * test --arch aarch64}: an arm64 JVM, emulated on x86_64), as the server itself reports it.
   */
  @Test
  void servedByAJvmOnTheRequestedArchitecture() throws IOException {
    JsonNode server = FuseTestSupport.stats(t.merged).get("server");
    String arch = TestJvmArch.normalize(server.get("os_arch").asText());
    System.out.println("[overlay4j] a FUSE mount served by a JVM on os.arch=" + arch
        + TestJvmArch.emulator().map(e -> " (emulated by " + e + ")").orElse("")
        + ", pid " + server.get("pid").asLong() + ": " + Files.readString(m("top")));
    assertEquals(TestJvmArch.arch(), arch);
    TestJvmArch.requested().ifPresent(wanted -> assertEquals(wanted, arch));
  }

  /** Reading the counters opens nothing: the reader is not counted as an open handle. */
  @Test
  void statsCountNoHandleOfTheirReader() throws Exception {
    JsonNode stats = FuseTestSupport.stats(t.merged);
    assertEquals(0, stats.get("open_directories").asInt(), stats.toString());
    assertEquals(0, stats.get("open_files").asInt(), stats.toString());
  }

  @Test
  void anEndedMountLeavesNothingToDoAtExit() throws Exception {
    assertTrue(t.fs().mountedForJnrFuse());
    t.unmount();
    // jnr-fuse's exit hook would run fusermount for it (a process started from an exiting JVM).
    assertTrue(MountCommand.await(() -> !t.fs().mountedForJnrFuse(), 30),
        "jnr-fuse still takes the ended mount for mounted");
  }

  @Test
  void readsTheMergedView() throws IOException {
    assertEquals("top", Files.readString(m("top")));
    try (Stream<Path> s = Files.list(m("dir"))) {
      assertEquals(List.of("a", "b"), s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals(1 << 20, Files.size(m("big")));
    assertEquals(ino(t.l2.resolve("big")), ino(m("big")), "st_ino is the lower inode");
    assertEquals(ino(t.l1.resolve("dir")), ino(m("dir")), "a merged dir: its top lower copy's");
    assertEquals(List.of(), listUpper(), "reading copies nothing up");
  }

  @Test
  void writesCopyUpAndKeepTheInode() throws IOException {
    long ino = ino(m("dir/b"));
    Files.writeString(m("dir/b"), "B", StandardOpenOption.APPEND);
    assertEquals("bB", Files.readString(m("dir/b")));
    assertEquals("bB", Files.readString(t.upper.resolve("dir/b")));
    assertEquals("b", Files.readString(t.l2.resolve("dir/b")));
    assertEquals(ino, ino(m("dir/b")));
  }

  @Test
  void deletesLeaveWhiteoutsAndMkdirOverThemIsOpaque() throws Exception {
    Files.delete(m("top"));
    assertFalse(Files.exists(m("top")));
    assertEquals("c", Files.getAttribute(t.upper.resolve("top"), "unix:mode",
        LinkOption.NOFOLLOW_LINKS) instanceof Integer mode && (mode & 0170000) == 0020000 ? "c" : "?");
    sh("rm -r '" + m("tree") + "' && mkdir '" + m("tree") + "'").ok();
    try (Stream<Path> s = Files.list(m("tree"))) {
      assertEquals(0, s.count());
    }
    assertEquals("trusted.overlay.opaque=\"y\"", sh("getfattr --absolute-names -n "
        + "trusted.overlay.opaque '" + t.upper.resolve("tree") + "' | grep opaque").ok()
        .output().strip());
  }

  @Test
  void shellWorkloadGivesTheExpectedTree() throws Exception {
    sh("cd '" + t.merged + "' && echo new > new && mv new moved && ln moved hard && ln -s moved soft"
        + " && mkdir -p d1/d2 && echo deep > d1/d2/f && chmod 600 top && mv top dir/ && cp big big2"
        + " && truncate -s 10 big2 && setfattr -n user.k -v v moved").ok();
    assertEquals("new\n", Files.readString(m("hard")));
    assertEquals(ino(m("moved")), ino(m("hard")));
    assertEquals(2, Files.getAttribute(m("moved"), "unix:nlink"));
    assertEquals("moved", Files.readSymbolicLink(m("soft")).toString());
    assertEquals("deep\n", Files.readString(m("d1/d2/f")));
    assertEquals("top", Files.readString(m("dir/top")));
    assertEquals(0600, (Integer) Files.getAttribute(m("dir/top"), "unix:mode") & 07777);
    assertFalse(Files.exists(m("top")));
    assertEquals(10, Files.size(m("big2")));
    UserDefinedFileAttributeView x = Files.getFileAttributeView(m("moved"),
        UserDefinedFileAttributeView.class);
    ByteBuffer v = ByteBuffer.allocate(8);
    x.read("k", v);
    assertEquals("v", new String(v.array(), 0, v.position(), StandardCharsets.UTF_8));
    assertEquals("", sh("find '" + t.upper + "' -name '.fuse_hidden*'").ok().output());
  }

  @Test
  void whatOneHardLinkedNameWritesTheOtherReads() throws Exception {
    Files.writeString(m("one"), "first");
    Files.createLink(m("two"), m("one"));
    assertEquals("first", Files.readString(m("two")));
    Files.writeString(m("one"), "second!");
    assertEquals("second!", Files.readString(m("two")), "page cache is dropped on change");
    Files.writeString(m("two"), "third, longer");
    assertEquals("third, longer", Files.readString(m("one")));
  }

  @Test
  void directoryOfALowerLayerCannotBeRenamedButMvCopiesIt() throws Exception {
    FuseTestSupport.Result r = sh("python3 -c \"import os\ntry:\n os.rename('" + m("tree")
        + "', '" + m("tree2") + "')\nexcept OSError as e:\n print(e.errno)\"");
    assertEquals("18", r.output().strip(), "EXDEV, as the kernel's overlay without redirect_dir");
    sh("mv '" + m("tree") + "' '" + m("tree2") + "'").ok();
    assertEquals("leaf", Files.readString(m("tree2/sub/leaf")));
    assertFalse(Files.exists(m("tree")));
  }

  @Test
  void anOpenFileStaysUsableAfterItsNameIsGone() throws IOException {
    Files.writeString(m("open"), "0123456789");
    try (FileChannel ch = FileChannel.open(m("open"), StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      Files.delete(m("open"));
      assertFalse(Files.exists(m("open")));
      ch.write(ByteBuffer.wrap("AB".getBytes()), 0);
      ByteBuffer b = ByteBuffer.allocate(10);
      ch.read(b, 0);
      assertEquals("AB23456789", new String(b.array(), StandardCharsets.US_ASCII));
    }
    assertEquals(List.of(), listUpper(), "no .fuse_hidden file lands in upper");
  }

  @Test
  void errorsPassThroughAsTheCoresErrno() throws IOException {
    assertThrows(NoSuchFileException.class, () -> Files.readString(m("missing")));
    assertThrows(java.nio.file.DirectoryNotEmptyException.class, () -> Files.delete(m("dir")));
    assertThrows(java.nio.file.FileAlreadyExistsException.class,
        () -> Files.createDirectory(m("dir")));
    IOException e = assertThrows(IOException.class,
        () -> Files.createFile(m("x".repeat(256))));
    assertTrue(e.getMessage().contains("File name too long"), e.getMessage());
  }

  @Test
  void filesCreatedByAUserBelongToThatUser() throws Exception {
    Files.createDirectory(m("shared"));
    sh("chmod 1777 '" + m("shared") + "'").ok();
    sh("setpriv --reuid 1000 --regid 1000 --clear-groups sh -c 'echo mine > " + m("shared/f")
        + " && mkdir " + m("shared/d") + "'").ok();
    assertEquals(1000, Files.getAttribute(t.upper.resolve("shared/f"), "unix:uid"));
    assertEquals(1000, Files.getAttribute(t.upper.resolve("shared/d"), "unix:gid"));
    // default_permissions: the kernel checks modes for other users.
    Files.writeString(m("secret"), "s");
    sh("chmod 600 '" + m("secret") + "'").ok();
    FuseTestSupport.Result r = sh("setpriv --reuid 1000 --regid 1000 --clear-groups cat "
        + m("secret"));
    assertTrue(r.status() != 0 && r.output().contains("Permission denied"), r.output());
  }

  @Test
  void statfsIsTheUppersAndHugeReadsMatch() throws Exception {
    String type = sh("stat -f -c %T '" + t.merged + "'").ok().output().strip();
    assertEquals("fuseblk".equals(type) || "fuse".equals(type) ? type : "fuse", type);
    byte[] a = Files.readAllBytes(m("big"));
    assertArrayEquals(Files.readAllBytes(t.l2.resolve("big")), a);
  }

  private List<String> listUpper() throws IOException {
    try (Stream<Path> s = Files.walk(t.upper)) {
      return s.filter(p -> !p.equals(t.upper)).map(p -> t.upper.relativize(p).toString())
          .sorted().toList();
    }
  }
}
