package io.overlay4j.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overlay4j.core.layer.MemoryLayer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same failing calls on the default file system and on an overlay holding the same tree:
 * the provider must throw what the JDK's Unix provider throws (class, file, other file,
 * reason).
 */
class JdkParityTest {
  @FunctionalInterface
  interface Call {
    void run(Path root) throws IOException;
  }

  private static final Map<String, Call> CALLS = new LinkedHashMap<>();

  static {
    CALLS.put("read missing", r -> Files.readAllBytes(r.resolve("missing")));
    CALLS.put("size missing", r -> Files.size(r.resolve("missing")));
    CALLS.put("open missing for writing", r -> Files.newByteChannel(r.resolve("missing"),
        StandardOpenOption.WRITE).close());
    CALLS.put("create_new existing", r -> Files.newByteChannel(r.resolve("file"),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close());
    CALLS.put("createFile under a file", r -> Files.createFile(r.resolve("file/x")));
    CALLS.put("createDirectory existing", r -> Files.createDirectory(r.resolve("dir")));
    CALLS.put("createDirectory under a file", r -> Files.createDirectory(r.resolve("file/x")));
    CALLS.put("createDirectory missing parent", r -> Files.createDirectory(r.resolve("m/x")));
    CALLS.put("delete non-empty", r -> Files.delete(r.resolve("dir")));
    CALLS.put("delete missing", r -> Files.delete(r.resolve("missing")));
    CALLS.put("list a file", r -> Files.newDirectoryStream(r.resolve("file")).close());
    CALLS.put("list missing", r -> Files.newDirectoryStream(r.resolve("missing")).close());
    CALLS.put("readlink a file", r -> Files.readSymbolicLink(r.resolve("file")));
    CALLS.put("readlink missing", r -> Files.readSymbolicLink(r.resolve("missing")));
    CALLS.put("hard link a directory", r -> Files.createLink(r.resolve("l"), r.resolve("dir")));
    CALLS.put("hard link missing", r -> Files.createLink(r.resolve("l"), r.resolve("missing")));
    CALLS.put("hard link over existing", r -> Files.createLink(r.resolve("file"),
        r.resolve("dir/inner")));
    CALLS.put("symlink over existing", r -> Files.createSymbolicLink(r.resolve("file"),
        r.getFileSystem().getPath("x")));
    CALLS.put("atomic move into a file", r -> Files.move(r.resolve("dir"),
        r.resolve("file/x"), StandardCopyOption.ATOMIC_MOVE));
    CALLS.put("atomic move missing", r -> Files.move(r.resolve("missing"), r.resolve("y"),
        StandardCopyOption.ATOMIC_MOVE));
    CALLS.put("move missing", r -> Files.move(r.resolve("missing"), r.resolve("y")));
    CALLS.put("move over existing", r -> Files.move(r.resolve("file"), r.resolve("other")));
    CALLS.put("move over non-empty directory", r -> Files.move(r.resolve("empty"),
        r.resolve("dir"), StandardCopyOption.REPLACE_EXISTING));
    CALLS.put("copy over existing", r -> Files.copy(r.resolve("file"), r.resolve("other")));
    CALLS.put("copy missing", r -> Files.copy(r.resolve("missing"), r.resolve("y")));
    CALLS.put("copy over non-empty directory", r -> Files.copy(r.resolve("file"),
        r.resolve("dir"), StandardCopyOption.REPLACE_EXISTING));
    CALLS.put("read a symlink loop", r -> Files.readAllBytes(r.resolve("loop")));
    CALLS.put("stat through a file", r -> Files.readAttributes(r.resolve("file/x"),
        BasicFileAttributes.class));
    CALLS.put("open a symlink with NOFOLLOW_LINKS", r -> Files.newByteChannel(
        r.resolve("link"), LinkOption.NOFOLLOW_LINKS).close());
    CALLS.put("write a directory", r -> Files.newOutputStream(r.resolve("dir")).close());
    CALLS.put("READ with APPEND", r -> Files.newByteChannel(r.resolve("file"),
        StandardOpenOption.READ, StandardOpenOption.APPEND).close());
    CALLS.put("APPEND with TRUNCATE", r -> Files.newByteChannel(r.resolve("file"),
        StandardOpenOption.APPEND, StandardOpenOption.TRUNCATE_EXISTING).close());
    CALLS.put("posix permissions of missing", r -> Files.getPosixFilePermissions(
        r.resolve("missing")));
    CALLS.put("unknown attribute", r -> Files.readAttributes(r.resolve("file"), "posix:foo"));
    CALLS.put("unknown view", r -> Files.readAttributes(r.resolve("file"), "foo:*"));
    CALLS.put("user xattr missing", r -> Files.getAttribute(r.resolve("file"), "user:none"));
    CALLS.put("user xattr delete missing", r -> Files.getFileAttributeView(r.resolve("file"),
        java.nio.file.attribute.UserDefinedFileAttributeView.class).delete("none"));
    CALLS.put("user xattr read missing", r -> Files.getFileAttributeView(r.resolve("file"),
        java.nio.file.attribute.UserDefinedFileAttributeView.class).read("none",
        java.nio.ByteBuffer.allocate(10)));
    CALLS.put("user xattr on missing", r -> Files.getFileAttributeView(r.resolve("missing"),
        java.nio.file.attribute.UserDefinedFileAttributeView.class).list());
    CALLS.put("setTimes of missing", r -> Files.setLastModifiedTime(r.resolve("missing"),
        java.nio.file.attribute.FileTime.fromMillis(0)));
    CALLS.put("chmod missing", r -> Files.setPosixFilePermissions(r.resolve("missing"),
        java.util.Set.of()));
    CALLS.put("chmod a symlink without following", r -> Files.getFileAttributeView(
        r.resolve("link"), java.nio.file.attribute.PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS).setPermissions(java.util.Set.of()));
    CALLS.put("set unknown attribute", r -> Files.setAttribute(r.resolve("file"), "posix:foo",
        1));
    CALLS.put("real path of missing", r -> r.resolve("missing").toRealPath());
    CALLS.put("file store of missing", r -> Files.getFileStore(r.resolve("missing")));
    CALLS.put("access missing", r -> r.getFileSystem().provider().checkAccess(
        r.resolve("missing")));
  }

  private static void tree(Path r) throws IOException {
    Files.createDirectories(r.resolve("dir"));
    Files.writeString(r.resolve("dir/inner"), "i");
    Files.createDirectories(r.resolve("empty"));
    Files.writeString(r.resolve("file"), "f");
    Files.writeString(r.resolve("other"), "o");
    Files.createSymbolicLink(r.resolve("link"), r.getFileSystem().getPath("file"));
    Files.createSymbolicLink(r.resolve("loop"), r.getFileSystem().getPath("loop"));
  }

  private static String outcome(Call c, Path root) {
    try {
      c.run(root);
      return "ok";
    } catch (FileSystemException e) {
      String prefix = root.toString().equals("/") ? "" : root.toString();
      return e.getClass().getSimpleName() + " file=" + strip(e.getFile(), prefix) + " other="
          + strip(e.getOtherFile(), prefix) + " reason=" + e.getReason();
    } catch (IOException | RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static String strip(String file, String prefix) {
    return file == null || prefix.isEmpty() ? file : file.replace(prefix, "");
  }

  @Test
  void theSameExceptionsAsTheDefaultFileSystem(@TempDir Path tmp) throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("overlay://parity"), Map.of(
        "lowerLayers", new MemoryLayer("l"), "upperLayer", new MemoryLayer("u"),
        "workLayer", new MemoryLayer("w")))) {
      List<String> jdk = new ArrayList<>();
      List<String> overlay = new ArrayList<>();
      for (Map.Entry<String, Call> e : CALLS.entrySet()) {
        Path host = Files.createDirectory(tmp.resolve("t" + jdk.size()));
        tree(host);
        Path mine = fs.getPath("/t" + overlay.size());
        Files.createDirectory(mine);
        tree(mine);
        jdk.add(e.getKey() + ": " + outcome(e.getValue(), host));
        overlay.add(e.getKey() + ": " + outcome(e.getValue(), mine));
      }
      assertEquals(String.join("\n", jdk), String.join("\n", overlay));
    }
  }
}
