package io.overlay4j.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlay4j.core.Errno;
import io.overlay4j.core.FileType;
import io.overlay4j.core.Stat;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.WritableLayer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every area of {@code Files.*} on an overlay file system over one lower layer (built through
 * the layer API) and an empty upper; after each test the lower layer must be exactly as it was.
 * Subclasses give the layers: in memory, or host directories.
 */
abstract class ProviderContract {
  /** The lower layer, to fill before the overlay opens. */
  abstract WritableLayer lower() throws IOException;

  /** Opens the overlay file system named {@code name} over the layers, with more options. */
  abstract FileSystem open(String name, Map<String, Object> options) throws IOException;

  /** The upper layer as the core stores it. */
  abstract Layer upper() throws IOException;

  FileSystem fs;
  String name;
  private Map<String, String> lowerBefore;

  @BeforeEach
  void setUp() throws IOException {
    WritableLayer l = lower();
    l.mkdir("dir", 0755);
    l.mkdir("dir/sub", 0755);
    file(l, "dir/a.txt", "alpha");
    file(l, "dir/b.log", "bravo");
    file(l, "dir/.hidden", "h");
    file(l, "dir/sub/c.txt", "charlie");
    file(l, "top.txt", "top");
    l.symlink("link", "dir/a.txt");
    l.setXattr("top.txt", "user.color", "blue".getBytes(StandardCharsets.UTF_8));
    lowerBefore = snapshot(l);
    name = "t-" + UUID.randomUUID();
    fs = open(name, Map.of());
  }

  @AfterEach
  void lowerLayerIsNeverWritten() throws IOException {
    if (fs != null) {
      fs.close();
    }
    if (lowerBefore != null) {
      assertEquals(lowerBefore, snapshot(lower()), "the lower layer changed");
    }
  }

  static void file(WritableLayer l, String path, String content) throws IOException {
    l.createFile(path, 0644);
    try (LayerFile f = l.open(path, true)) {
      f.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)), 0);
    }
  }

  /** Everything of a layer but access times. */
  static Map<String, String> snapshot(Layer layer) throws IOException {
    Map<String, String> out = new TreeMap<>();
    walk(layer, "", out);
    return out;
  }

  private static void walk(Layer layer, String path, Map<String, String> out) throws IOException {
    Stat st = layer.stat(path);
    StringBuilder sb = new StringBuilder().append(st.type()).append(' ')
        .append(Integer.toOctalString(st.mode())).append(' ').append(st.uid()).append(':')
        .append(st.gid()).append(" ino=").append(st.ino()).append(" size=").append(st.size())
        .append(" mtime=").append(st.mtimeNanos()).append(" ctime=").append(st.ctimeNanos());
    for (String x : layer.listXattrs(path).stream().sorted().toList()) {
      sb.append(' ').append(x).append('=').append(Arrays.toString(layer.getXattr(path, x)));
    }
    if (st.isRegularFile()) {
      try (LayerFile f = layer.open(path, false)) {
        ByteBuffer buf = ByteBuffer.allocate((int) f.size());
        f.read(buf, 0);
        sb.append(" data=").append(Arrays.hashCode(buf.array()));
      }
    } else if (st.isSymlink()) {
      sb.append(" -> ").append(layer.readLink(path));
    }
    out.put("/" + path, sb.toString());
    if (st.isDirectory()) {
      for (String n : layer.list(path).stream().sorted().toList()) {
        walk(layer, path.isEmpty() ? n : path + "/" + n, out);
      }
    }
  }

  Path p(String path) {
    return fs.getPath(path);
  }

  static Errno errno(Throwable t) {
    return Errors.errnoOf(t).orElseThrow(() -> new AssertionError("no errno in " + t, t));
  }

  // ---- reading and writing ----

  @Test
  void readsTheMergedViewAndWritesCopyUp() throws IOException {
    assertEquals("alpha", Files.readString(p("/dir/a.txt")));
    assertEquals("alpha", Files.readString(p("dir/a.txt")), "relative paths start at the root");
    assertNull(upper().stat("dir/a.txt"), "reading copies nothing up");
    Files.writeString(p("/dir/a.txt"), "ALPHA!");
    assertEquals("ALPHA!", Files.readString(p("/dir/a.txt")));
    assertEquals(FileType.REGULAR, upper().stat("dir/a.txt").type(), "written: copied up");
    assertEquals(1, ((OverlayFileSystem) fs).stats().copyUps() >= 1 ? 1 : 0);
    try (OutputStream out = Files.newOutputStream(p("/new.bin"))) {
      out.write(new byte[] {1, 2, 3});
    }
    try (InputStream in = Files.newInputStream(p("/new.bin"))) {
      assertArrayEquals(new byte[] {1, 2, 3}, in.readAllBytes());
    }
    Files.write(p("/new.bin"), new byte[] {4}, StandardOpenOption.APPEND);
    assertArrayEquals(new byte[] {1, 2, 3, 4}, Files.readAllBytes(p("/new.bin")));
    assertEquals(List.of("charlie"), Files.readAllLines(p("/dir/sub/c.txt")));
  }

  @Test
  void seekableByteChannel() throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(p("/dir/b.log"),
        StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      assertEquals(5, ch.size());
      ch.position(2);
      ByteBuffer buf = ByteBuffer.allocate(10);
      assertEquals(3, ch.read(buf));
      assertEquals("avo", new String(buf.array(), 0, 3, StandardCharsets.UTF_8));
      assertEquals(-1, ch.read(buf.clear()));
      ch.position(5).write(ByteBuffer.wrap("-more".getBytes(StandardCharsets.UTF_8)));
      assertEquals(10, ch.size());
      ch.truncate(3);
      assertEquals(3, ch.size());
      assertEquals(3, ch.position(), "truncate moves the position back to the size");
      ch.truncate(100);
      assertEquals(3, ch.size(), "a larger size leaves the file as it is");
    }
    assertEquals("bra", Files.readString(p("/dir/b.log")));
    try (SeekableByteChannel ch = Files.newByteChannel(p("/top.txt"))) {
      assertThrows(NonWritableChannelException.class,
          () -> ch.write(ByteBuffer.wrap(new byte[1])));
    }
  }

  @Test
  void fileChannel() throws IOException {
    try (FileChannel ch = FileChannel.open(p("/f"), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap("0123456789".getBytes(StandardCharsets.UTF_8)));
      ch.write(ByteBuffer.wrap("AB".getBytes(StandardCharsets.UTF_8)), 4);
      assertEquals(10, ch.position());
      ch.force(true);
      ByteBuffer buf = ByteBuffer.allocate(4);
      assertEquals(4, ch.read(buf, 3));
      assertEquals("3AB6", new String(buf.array(), StandardCharsets.UTF_8));
      java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
      assertEquals(10, ch.transferTo(0, 100, java.nio.channels.Channels.newChannel(sink)));
      assertEquals("0123AB6789", sink.toString(StandardCharsets.UTF_8));
      ch.truncate(2);
      assertEquals(2, ch.size());
      assertThrows(UnsupportedOperationException.class,
          () -> ch.map(FileChannel.MapMode.READ_ONLY, 0, 1));
      assertThrows(UnsupportedOperationException.class, ch::lock);
    }
  }

  @Test
  void openOptions() throws IOException {
    FileAlreadyExistsException exists = assertThrows(FileAlreadyExistsException.class,
        () -> Files.newByteChannel(p("/top.txt"), StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE));
    assertEquals("/top.txt", exists.getFile());
    NoSuchFileException missing = assertThrows(NoSuchFileException.class,
        () -> Files.newByteChannel(p("/nope"), StandardOpenOption.WRITE));
    assertEquals("/nope", missing.getFile());
    Files.newByteChannel(p("/made"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)
        .close();
    assertTrue(Files.isRegularFile(p("/made")));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p("/made"))), "0666 less the umask 022");
    Files.writeString(p("/top.txt"), "T", StandardOpenOption.TRUNCATE_EXISTING);
    assertEquals("T", Files.readString(p("/top.txt")));
    Files.writeString(p("/top.txt"), "+", StandardOpenOption.APPEND);
    assertEquals("T+", Files.readString(p("/top.txt")));
    assertThrows(IllegalArgumentException.class, () -> Files.newByteChannel(p("/top.txt"),
        StandardOpenOption.READ, StandardOpenOption.APPEND));
    IOException loop = assertThrows(IOException.class,
        () -> Files.newByteChannel(p("/link"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("Too many levels of symbolic links (NOFOLLOW_LINKS specified)",
        loop.getMessage(), "as the JDK's Unix provider says it");
    assertEquals(Errno.ELOOP, errno(loop));
    assertEquals("alpha", new String(Files.readAllBytes(p("/link")), StandardCharsets.UTF_8));
    try (SeekableByteChannel ch = Files.newByteChannel(p("/tmpfile"),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ,
        StandardOpenOption.DELETE_ON_CLOSE)) {
      ch.write(ByteBuffer.wrap(new byte[] {7, 8}));
      assertFalse(Files.exists(p("/tmpfile")), "unlinked at once, as by the JDK");
      ByteBuffer b = ByteBuffer.allocate(2);
      ch.position(0).read(b);
      assertArrayEquals(new byte[] {7, 8}, b.array(), "the open file still serves");
    }
    Files.createFile(p("/mode600"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p("/mode600"))));
    FileSystemException isDir = assertThrows(FileSystemException.class,
        () -> Files.newOutputStream(p("/dir")));
    assertEquals(Errno.EISDIR, errno(isDir));
    assertEquals("Is a directory", isDir.getReason());
  }

  @Test
  void jdkHelpersThatBuildOnTheProvider() throws IOException {
    Path tmp = Files.createTempFile(p("/dir"), "pre", ".tmp");
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp)),
        "the JDK asks for rw------- on the default file system only: 0666 less the umask");
    try (java.io.BufferedWriter w = Files.newBufferedWriter(tmp)) {
      w.write("one\ntwo\n");
    }
    try (Stream<String> lines = Files.lines(tmp)) {
      assertEquals(List.of("one", "two"), lines.toList());
    }
    Path tmpDir = Files.createTempDirectory(p("/"), "d");
    assertTrue(Files.isDirectory(tmpDir));
    assertEquals(-1L, Files.mismatch(p("/dir/a.txt"), p("/link")));
    assertTrue(Files.isSameFile(p("/dir/a.txt"), p("/link")));
    assertEquals(5, Files.size(p("/link")), "size follows the link");
  }

  // ---- directories ----

  @Test
  void directoriesAndDeletion() throws IOException {
    Files.createDirectory(p("/newdir"));
    assertTrue(Files.isDirectory(p("/newdir")));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p("/newdir"))));
    assertThrows(FileAlreadyExistsException.class, () -> Files.createDirectory(p("/dir")));
    Files.createDirectories(p("/x/y/z"));
    assertTrue(Files.isDirectory(p("/x/y/z")));
    DirectoryNotEmptyException notEmpty = assertThrows(DirectoryNotEmptyException.class,
        () -> Files.delete(p("/dir/sub")));
    assertEquals("/dir/sub", notEmpty.getFile());
    Files.delete(p("/dir/sub/c.txt"));
    assertFalse(Files.exists(p("/dir/sub/c.txt")));
    Files.delete(p("/dir/sub"));
    assertFalse(Files.exists(p("/dir/sub")));
    Files.delete(p("/top.txt"));
    assertFalse(Files.exists(p("/top.txt")));
    assertFalse(Files.deleteIfExists(p("/top.txt")));
    assertThrows(NoSuchFileException.class, () -> Files.delete(p("/top.txt")));
    assertTrue(isWhiteout("top.txt"), "deleting a lower file leaves a whiteout in upper");
    Files.writeString(p("/top.txt"), "again");
    assertEquals("again", Files.readString(p("/top.txt")));
  }

  /** Whether upper holds a whiteout at {@code path} (a char device 0/0). */
  boolean isWhiteout(String path) throws IOException {
    Stat st = upper().stat(path);
    return st != null && st.type() == FileType.CHAR_DEVICE && st.rdev() == 0;
  }

  @Test
  void directoryStreamsWithGlobsAndFilters() throws IOException {
    Files.writeString(p("/dir/upper.txt"), "u");
    try (DirectoryStream<Path> s = Files.newDirectoryStream(p("/dir"), "*.txt")) {
      List<String> names = new ArrayList<>();
      s.forEach(x -> names.add(x.toString()));
      names.sort(null);
      assertEquals(List.of("/dir/a.txt", "/dir/upper.txt"), names);
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(p("/dir"), "{*.log,sub}")) {
      assertEquals(Set.of("b.log", "sub"), names(s));
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(p("/dir"), Files::isDirectory)) {
      assertEquals(Set.of("sub"), names(s));
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(p("/"))) {
      assertEquals(Set.of("dir", "top.txt", "link"), names(s));
    }
    NotDirectoryException nd = assertThrows(NotDirectoryException.class,
        () -> Files.newDirectoryStream(p("/top.txt")));
    assertEquals("/top.txt", nd.getFile());
    assertThrows(NoSuchFileException.class, () -> Files.newDirectoryStream(p("/missing")));
    assertTrue(fs.getPathMatcher("glob:/dir/**").matches(p("/dir/sub/c.txt")));
    assertFalse(fs.getPathMatcher("glob:/dir/*").matches(p("/dir/sub/c.txt")));
    assertTrue(fs.getPathMatcher("glob:*.[ct]xt").matches(p("a.txt")));
    assertTrue(fs.getPathMatcher("regex:.*\\.log").matches(p("/dir/b.log")));
  }

  private static Set<String> names(DirectoryStream<Path> s) {
    Set<String> out = new java.util.TreeSet<>();
    s.forEach(x -> out.add(x.getFileName().toString()));
    return out;
  }

  @Test
  void walkAndWalkFileTree() throws IOException {
    Files.delete(p("/dir/b.log"));
    Files.writeString(p("/dir/sub/d.txt"), "delta");
    try (Stream<Path> s = Files.walk(p("/"))) {
      assertEquals(List.of("/", "/dir", "/dir/.hidden", "/dir/a.txt", "/dir/sub",
          "/dir/sub/c.txt", "/dir/sub/d.txt", "/link", "/top.txt"),
          s.map(Path::toString).sorted().toList());
    }
    List<String> visited = new ArrayList<>();
    Files.walkFileTree(p("/dir"), new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        visited.add(file.getFileName() + ":" + attrs.size());
        return FileVisitResult.CONTINUE;
      }
    });
    visited.sort(null);
    assertEquals(List.of(".hidden:1", "a.txt:5", "c.txt:7", "d.txt:5"), visited);
    try (Stream<Path> s = Files.find(p("/"), 10, (x, a) -> x.toString().endsWith(".txt"))) {
      assertEquals(4, s.count());
    }
  }

  // ---- copy and move ----

  @Test
  void copyWithinTheOverlay() throws IOException {
    Files.copy(p("/dir/a.txt"), p("/copy.txt"));
    assertEquals("alpha", Files.readString(p("/copy.txt")));
    assertThrows(FileAlreadyExistsException.class,
        () -> Files.copy(p("/dir/a.txt"), p("/copy.txt")));
    Files.copy(p("/top.txt"), p("/copy.txt"), StandardCopyOption.REPLACE_EXISTING);
    assertEquals("top", Files.readString(p("/copy.txt")));
    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(p("/dir/b.log"), old);
    Files.setPosixFilePermissions(p("/dir/b.log"), PosixFilePermissions.fromString("rwx------"));
    Files.copy(p("/dir/b.log"), p("/attrs.log"), StandardCopyOption.COPY_ATTRIBUTES);
    assertEquals(old, Files.getLastModifiedTime(p("/attrs.log")));
    assertEquals("rwx------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p("/attrs.log"))));
    Files.copy(p("/link"), p("/link2"), LinkOption.NOFOLLOW_LINKS);
    assertEquals("dir/a.txt", Files.readSymbolicLink(p("/link2")).toString());
    Files.copy(p("/link"), p("/deref"));
    assertTrue(Files.isRegularFile(p("/deref"), LinkOption.NOFOLLOW_LINKS));
    Files.copy(p("/dir"), p("/dircopy"));
    try (Stream<Path> s = Files.list(p("/dircopy"))) {
      assertEquals(0, s.count(), "a directory is copied without its entries");
    }
    Files.copy(p("/dir/a.txt"), p("/dir/a.txt")); // the same file: nothing to do
    assertThrows(UnsupportedOperationException.class, () -> Files.copy(p("/dir/a.txt"),
        p("/x"), StandardCopyOption.ATOMIC_MOVE));
  }

  @Test
  void copyToAndFromTheDefaultFileSystem() throws IOException {
    Path tmp = Files.createTempDirectory("overlay4j-nio-copy");
    try {
      Files.copy(p("/dir/a.txt"), tmp.resolve("out.txt"));
      assertEquals("alpha", Files.readString(tmp.resolve("out.txt")));
      Files.writeString(tmp.resolve("in.txt"), "from outside");
      Files.copy(tmp.resolve("in.txt"), p("/dir/in.txt"));
      assertEquals("from outside", Files.readString(p("/dir/in.txt")));
      Files.copy(tmp.resolve("in.txt"), p("/dir/a.txt"), StandardCopyOption.REPLACE_EXISTING);
      assertEquals("from outside", Files.readString(p("/dir/a.txt")));
      Files.move(p("/top.txt"), tmp.resolve("moved.txt"));
      assertFalse(Files.exists(p("/top.txt")));
      assertEquals("top", Files.readString(tmp.resolve("moved.txt")));
      Files.move(tmp.resolve("moved.txt"), p("/back.txt"));
      assertEquals("top", Files.readString(p("/back.txt")));
      assertThrows(AtomicMoveNotSupportedException.class, () -> Files.move(p("/back.txt"),
          tmp.resolve("x"), StandardCopyOption.ATOMIC_MOVE));
    } finally {
      try (Stream<Path> s = Files.walk(tmp)) {
        for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(x);
        }
      }
    }
  }

  @Test
  void moveWithinTheOverlay() throws IOException {
    Files.move(p("/dir/a.txt"), p("/a.moved"));
    assertEquals("alpha", Files.readString(p("/a.moved")));
    assertFalse(Files.exists(p("/dir/a.txt")));
    assertTrue(isWhiteout("dir/a.txt"), "renaming a lower file leaves a whiteout");
    assertThrows(FileAlreadyExistsException.class,
        () -> Files.move(p("/a.moved"), p("/top.txt")));
    Files.move(p("/a.moved"), p("/top.txt"), StandardCopyOption.REPLACE_EXISTING);
    assertEquals("alpha", Files.readString(p("/top.txt")));
    Files.move(p("/top.txt"), p("/top2.txt"), StandardCopyOption.ATOMIC_MOVE);
    assertEquals("alpha", Files.readString(p("/top2.txt")));
    // A directory with lower copies: rename(2) is EXDEV (no redirect_dir).
    assertThrows(AtomicMoveNotSupportedException.class,
        () -> Files.move(p("/dir"), p("/dir2"), StandardCopyOption.ATOMIC_MOVE));
    assertThrows(DirectoryNotEmptyException.class, () -> Files.move(p("/dir"), p("/dir2")));
    Files.delete(p("/dir/sub/c.txt"));
    Files.move(p("/dir/sub"), p("/sub2")); // empty now: copied and deleted, as the JDK does
    assertTrue(Files.isDirectory(p("/sub2")));
    assertFalse(Files.exists(p("/dir/sub")));
    Files.createDirectory(p("/fresh"));
    Files.writeString(p("/fresh/f"), "f");
    Files.move(p("/fresh"), p("/fresh2"), StandardCopyOption.ATOMIC_MOVE);
    assertEquals("f", Files.readString(p("/fresh2/f")));
    Files.writeString(p("/one"), "1");
    Files.writeString(p("/two"), "2");
    Files.move(p("/one"), p("/two"), OverlayCopyOption.EXCHANGE);
    assertEquals("2", Files.readString(p("/one")));
    assertEquals("1", Files.readString(p("/two")));
    FileAlreadyExistsException noReplace = assertThrows(FileAlreadyExistsException.class,
        () -> Files.move(p("/one"), p("/two"), OverlayCopyOption.NOREPLACE));
    assertEquals("/one", noReplace.getFile());
    assertEquals("/two", noReplace.getOtherFile());
    FileSystemException whiteout = assertThrows(FileSystemException.class,
        () -> Files.move(p("/one"), p("/three"), OverlayCopyOption.WHITEOUT));
    assertEquals(Errno.EINVAL, errno(whiteout));
  }

  // ---- links ----

  @Test
  void symbolicAndHardLinks() throws IOException {
    Files.createSymbolicLink(p("/sl"), fs.getPath("top.txt"));
    assertEquals(fs.getPath("top.txt"), Files.readSymbolicLink(p("/sl")));
    assertEquals("top", Files.readString(p("/sl")));
    assertTrue(Files.isSymbolicLink(p("/sl")));
    assertThrows(NotLinkException.class, () -> Files.readSymbolicLink(p("/top.txt")));
    assertThrows(FileAlreadyExistsException.class,
        () -> Files.createSymbolicLink(p("/sl"), fs.getPath("x")));
    assertEquals(p("/dir/a.txt"), p("/link").toRealPath());
    assertEquals(p("/link"), p("/link").toRealPath(LinkOption.NOFOLLOW_LINKS));
    Files.createLink(p("/hard"), p("/top.txt"));
    assertTrue(Files.isSameFile(p("/hard"), p("/top.txt")));
    assertEquals(2, Files.getAttribute(p("/hard"), "unix:nlink"));
    assertEquals(Files.readAttributes(p("/hard"), BasicFileAttributes.class).fileKey(),
        Files.readAttributes(p("/top.txt"), BasicFileAttributes.class).fileKey());
    Files.writeString(p("/hard"), "via hard link", StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE);
    assertEquals("via hard link", Files.readString(p("/top.txt")));
    assertFalse(Files.isSameFile(p("/hard"), p("/dir/a.txt")));
    assertTrue(Files.isSameFile(p("/link"), p("/dir/a.txt")));
    FileSystemException dirLink = assertThrows(FileSystemException.class,
        () -> Files.createLink(p("/dirlink"), p("/dir")));
    assertEquals(Errno.EPERM, errno(dirLink));
    assertEquals("Operation not permitted", dirLink.getReason(), "as the JDK 17 reports EPERM");
    assertEquals("/dirlink", dirLink.getFile());
    assertEquals("/dir", dirLink.getOtherFile());
  }

  // ---- attributes ----

  @Test
  void basicPosixAndUnixAttributes() throws IOException {
    PosixFileAttributes a = Files.readAttributes(p("/dir/a.txt"), PosixFileAttributes.class);
    assertTrue(a.isRegularFile());
    assertEquals(5, a.size());
    assertEquals("rw-r--r--", PosixFilePermissions.toString(a.permissions()));
    Map<String, Object> unix = Files.readAttributes(p("/dir/a.txt"), "unix:*");
    assertTrue(unix.keySet().containsAll(List.of("dev", "ino", "mode", "uid", "gid", "nlink",
        "rdev", "ctime", "size", "lastModifiedTime", "permissions", "owner", "fileKey")),
        unix.keySet().toString());
    assertEquals(0100644, unix.get("mode"));
    assertEquals(1, unix.get("nlink"));
    Map<String, Object> some = Files.readAttributes(p("/dir"), "size,isDirectory");
    assertEquals(Set.of("size", "isDirectory"), some.keySet());
    assertEquals(true, some.get("isDirectory"));
    assertThrows(IllegalArgumentException.class,
        () -> Files.readAttributes(p("/dir"), "posix:nonsense"));
    assertThrows(UnsupportedOperationException.class,
        () -> Files.readAttributes(p("/dir"), "dos:*"));
    assertTrue((Boolean) Files.getAttribute(p("/link"), "isSymbolicLink",
        LinkOption.NOFOLLOW_LINKS));
    assertTrue((Boolean) Files.getAttribute(p("/link"), "isRegularFile"));
    long ino = (Long) Files.getAttribute(p("/dir/a.txt"), "unix:ino");
    Files.setPosixFilePermissions(p("/dir/a.txt"), PosixFilePermissions.fromString("rwx------"));
    assertEquals(ino, (Long) Files.getAttribute(p("/dir/a.txt"), "unix:ino"),
        "st_ino stays the lower one across copy-up");
    Files.setAttribute(p("/dir/a.txt"), "unix:mode", 04755);
    assertEquals(0104755, Files.getAttribute(p("/dir/a.txt"), "unix:mode"));
    FileTime t = FileTime.fromMillis(1_500_000_000_123L);
    Files.setLastModifiedTime(p("/link"), t); // follows the link
    assertEquals(t, Files.getLastModifiedTime(p("/dir/a.txt")));
    FileSystemException noFollowChmod = assertThrows(FileSystemException.class,
        () -> Files.getFileAttributeView(p("/link"), PosixFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS).setPermissions(Set.of()));
    assertEquals(Errno.ELOOP, errno(noFollowChmod));
    Files.setAttribute(p("/top.txt"), "unix:uid", 1234);
    Files.setAttribute(p("/top.txt"), "unix:gid", 4321);
    assertEquals(1234, Files.getAttribute(p("/top.txt"), "unix:uid"));
    assertEquals(4321, Files.getAttribute(p("/top.txt"), "unix:gid"));
    Files.setOwner(p("/top.txt"), fs.getUserPrincipalLookupService().lookupPrincipalByName("0"));
    assertEquals(0, Files.getAttribute(p("/top.txt"), "unix:uid"));
    assertEquals("root", Files.getOwner(p("/top.txt")).getName());
  }

  @Test
  void userAndXattrViews() throws IOException {
    UserDefinedFileAttributeView u = Files.getFileAttributeView(p("/top.txt"),
        UserDefinedFileAttributeView.class);
    assertEquals(List.of("color"), u.list());
    ByteBuffer buf = ByteBuffer.allocate(u.size("color"));
    u.read("color", buf);
    assertEquals("blue", new String(buf.array(), StandardCharsets.UTF_8));
    u.write("size", ByteBuffer.wrap("XL".getBytes(StandardCharsets.UTF_8)));
    assertEquals(Set.of("color", "size"), Set.copyOf(u.list()));
    assertArrayEquals("XL".getBytes(StandardCharsets.UTF_8),
        (byte[]) Files.getAttribute(p("/top.txt"), "user:size"));
    u.delete("color");
    assertEquals(List.of("size"), u.list());
    FileSystemException gone = assertThrows(FileSystemException.class, () -> u.size("color"));
    assertEquals(Errno.ENODATA, errno(gone));
    Map<String, Object> all = Files.readAttributes(p("/top.txt"), "user:*");
    assertEquals(Set.of("size"), all.keySet());
    XattrView x = Files.getFileAttributeView(p("/dir"), XattrView.class);
    x.write("trusted.t", new byte[] {1}, XattrView.CREATE);
    FileAlreadyExistsException again = assertThrows(FileAlreadyExistsException.class,
        () -> x.write("trusted.t", new byte[] {2}, XattrView.CREATE));
    assertEquals(Errno.EEXIST, errno(again));
    assertArrayEquals(new byte[] {1}, x.read("trusted.t"));
    assertTrue(x.list().contains("trusted.t"));
    assertFalse(x.list().stream().anyMatch(n -> n.startsWith("trusted.overlay.")),
        "the overlay's own xattrs stay hidden");
    Files.setAttribute(p("/dir"), "user:k", "v".getBytes(StandardCharsets.UTF_8));
    assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), x.read("user.k"));
  }

  @Test
  void accessHiddenSameFileAndFileStore() throws IOException {
    Files.setPosixFilePermissions(p("/top.txt"), PosixFilePermissions.fromString("r--------"));
    fs.provider().checkAccess(p("/top.txt"), AccessMode.READ);
    assertTrue(Files.isReadable(p("/top.txt")));
    boolean root = Principals.self().uid() == 0;
    assertEquals(root, Files.isWritable(p("/top.txt")), "root writes anything, others not 0400");
    assertFalse(Files.isExecutable(p("/top.txt")));
    assertTrue(Files.isExecutable(p("/dir")));
    assertThrows(NoSuchFileException.class,
        () -> fs.provider().checkAccess(p("/missing")));
    assertTrue(Files.isHidden(p("/dir/.hidden")));
    assertFalse(Files.isHidden(p("/dir/a.txt")));
    assertTrue(Files.isSameFile(p("/dir/../top.txt"), p("/top.txt")));
    FileStore store = Files.getFileStore(p("/dir"));
    assertEquals("overlay", store.type());
    assertEquals(name, store.name());
    assertTrue(store.getTotalSpace() > 0);
    assertTrue(store.getUsableSpace() <= store.getTotalSpace());
    assertTrue(store.getUnallocatedSpace() <= store.getTotalSpace());
    assertEquals(store.getTotalSpace(), store.getAttribute("totalSpace"));
    assertTrue(store.supportsFileAttributeView("unix"));
    assertTrue(store.supportsFileAttributeView(PosixFileAttributeView.class));
    assertFalse(store.supportsFileAttributeView("dos"));
    assertFalse(store.isReadOnly());
    assertThrows(NoSuchFileException.class, () -> Files.getFileStore(p("/missing")));
  }

  // ---- exceptions ----

  @Test
  void errnosBecomeTheJdksExceptions() throws IOException {
    NoSuchFileException nsf = assertThrows(NoSuchFileException.class,
        () -> Files.readAttributes(p("/no/such"), BasicFileAttributes.class));
    assertEquals("/no/such", nsf.getFile());
    assertEquals(Errno.ENOENT, errno(nsf));
    FileSystemException notDir = assertThrows(FileSystemException.class,
        () -> Files.createDirectory(p("/top.txt/x")));
    assertEquals("Not a directory", notDir.getReason());
    assertEquals(Errno.ENOTDIR, errno(notDir));
    Files.createSymbolicLink(p("/loop1"), fs.getPath("loop2"));
    Files.createSymbolicLink(p("/loop2"), fs.getPath("loop1"));
    FileSystemException loop = assertThrows(FileSystemException.class,
        () -> Files.readAllBytes(p("/loop1")));
    assertTrue(loop.getReason().startsWith("Too many levels of symbolic links"),
        loop.getReason());
    FileSystemException move = assertThrows(FileSystemException.class,
        () -> Files.move(p("/missing"), p("/elsewhere"), StandardCopyOption.ATOMIC_MOVE));
    assertInstanceOf(NoSuchFileException.class, move);
    assertEquals("/missing", move.getFile());
    assertEquals("/elsewhere", move.getOtherFile());
    FileSystemException rmFileAsDir = assertThrows(FileSystemException.class,
        () -> Files.move(p("/dir/sub"), p("/top.txt"), StandardCopyOption.ATOMIC_MOVE));
    assertEquals(Errno.ENOTDIR, errno(rmFileAsDir));
    assertEquals("Not a directory", rmFileAsDir.getReason());
    for (Errno e : Errno.values()) {
      assertFalse(Errors.strerror(e).isEmpty());
      FileSystemException x = Errors.of(e, "/f", "/g");
      assertEquals("/f", x.getFile());
      assertEquals(e, errno(x));
    }
    assertInstanceOf(AccessDeniedException.class, Errors.of(Errno.EACCES, "/f", null));
    assertEquals(FileSystemException.class, Errors.of(Errno.EPERM, "/f", null).getClass());
    assertInstanceOf(DirectoryNotEmptyException.class, Errors.of(Errno.ENOTEMPTY, "/f", null));
  }

  // ---- file systems ----

  @Test
  void uriAndRegistry() throws IOException {
    URI uri = URI.create("overlay://" + name);
    assertTrue(FileSystems.getFileSystem(uri) == fs);
    assertEquals(URI.create("overlay://" + name + "/dir/a%20b"), p("/dir/a b").toUri());
    assertEquals(p("/dir/a b"), Path.of(p("/dir/a b").toUri()));
    assertEquals(p("/dir/a.txt"), p("dir/a.txt").toAbsolutePath());
    assertThrows(java.nio.file.FileSystemAlreadyExistsException.class,
        () -> FileSystems.newFileSystem(uri, Map.of()));
    assertTrue(fs.provider() instanceof OverlayFileSystemProvider);
    assertThrows(FileSystemNotFoundException.class,
        () -> FileSystems.getFileSystem(URI.create("overlay://never-opened")));
    assertThrows(IllegalArgumentException.class,
        () -> FileSystems.newFileSystem(URI.create("overlay://x/some/path"), Map.of()));
  }

  @Test
  void closeReleasesEverything() throws IOException {
    SeekableByteChannel ch = Files.newByteChannel(p("/top.txt"));
    DirectoryStream<Path> ds = Files.newDirectoryStream(p("/dir"));
    java.util.Iterator<Path> it = ds.iterator();
    fs.close();
    assertFalse(fs.isOpen());
    assertFalse(ch.isOpen(), "closing the file system closes its channels");
    assertFalse(it.hasNext(), "and its directory streams");
    assertThrows(IllegalStateException.class, ds::iterator);
    assertThrows(ClosedFileSystemException.class, () -> Files.readString(p("/top.txt")));
    assertThrows(ClosedFileSystemException.class, () -> Files.exists(p("/top.txt")));
    assertThrows(ClosedFileSystemException.class, () -> Files.newDirectoryStream(p("/")));
    assertThrows(ClosedFileSystemException.class, () -> p("/x").toAbsolutePath());
    URI uri = URI.create("overlay://" + name);
    assertThrows(FileSystemNotFoundException.class, () -> FileSystems.getFileSystem(uri));
    fs.close(); // twice: nothing
    fs = open(name, Map.of()); // the name is free again; what was written is still there
    assertEquals("top", Files.readString(p("/top.txt")));
  }

  @Test
  void readOnlyOption() throws IOException {
    Files.writeString(p("/written"), "w");
    fs.close();
    fs = open(name, Map.of("ro", Boolean.TRUE));
    assertTrue(fs.isReadOnly());
    assertEquals("w", Files.readString(p("/written")));
    FileSystemException rofs = assertThrows(FileSystemException.class,
        () -> Files.writeString(p("/top.txt"), "x"));
    assertEquals("Read-only file system", rofs.getReason());
    assertEquals(Errno.EROFS, errno(rofs));
    assertThrows(FileSystemException.class, () -> Files.delete(p("/written")));
    assertThrows(FileSystemException.class, () -> Files.createDirectory(p("/d")));
    assertTrue(Files.getFileStore(p("/")).isReadOnly());
  }

  @Test
  void concurrentUse() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int id = t;
        futures.add(pool.submit(() -> {
          Path dir = p("/worker" + id);
          Files.createDirectory(dir);
          for (int i = 0; i < 50; i++) {
            Path f = dir.resolve("f" + i);
            Files.writeString(f, "w" + id + "-" + i);
            assertEquals("w" + id + "-" + i, Files.readString(f));
            // everyone appends to the same lower file: one copy-up, all appends kept
            Files.writeString(p("/dir/b.log"), "|" + id, StandardOpenOption.APPEND);
            if (i % 2 == 0) {
              Files.delete(f);
            }
          }
          try (Stream<Path> s = Files.list(dir)) {
            assertEquals(25, s.count());
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    String log = Files.readString(p("/dir/b.log"));
    assertTrue(log.startsWith("bravo"));
    Map<Character, Long> counts = log.substring(5).chars().filter(c -> c != '|')
        .mapToObj(c -> (char) c).collect(Collectors.groupingBy(c -> c, Collectors.counting()));
    assertEquals(Map.of('0', 50L, '1', 50L, '2', 50L, '3', 50L), counts);
    assertNotEquals(0, ((OverlayFileSystem) fs).stats().copyUps());
  }
}
