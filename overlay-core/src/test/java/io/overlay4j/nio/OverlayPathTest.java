package io.overlay4j.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overlay4j.core.layer.MemoryLayer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardWatchEventKinds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** OverlayPath behaves as the JDK's UnixPath: each expectation is what {@code Path.of} gives. */
class OverlayPathTest {
  private FileSystem fs;

  @BeforeEach
  void open() throws IOException {
    fs = FileSystems.newFileSystem(URI.create("overlay://paths"), Map.of("lowerLayers",
        new MemoryLayer("l"), "upperLayer", new MemoryLayer("u"), "workLayer",
        new MemoryLayer("w")));
  }

  @AfterEach
  void close() throws IOException {
    fs.close();
  }

  /** The same operation on an overlay path and a default-file-system path gives the same text. */
  private void same(String what, java.util.function.Function<Path, Object> op, String path) {
    Object mine = op.apply(fs.getPath(path));
    Object jdk = op.apply(Path.of(path));
    assertEquals(String.valueOf(jdk), String.valueOf(mine), what + " of \"" + path + "\"");
  }

  @Test
  void componentsAsUnixPath() {
    for (String s : List.of("/", "", "a", "/a", "a/b/c", "/a/b/c", "//a//b//", "a/./b/../c",
        "/..", "../x", ".", "..")) {
      same("toString", p -> p, s);
      same("isAbsolute", Path::isAbsolute, s);
      same("getRoot", Path::getRoot, s);
      same("getFileName", Path::getFileName, s);
      same("getParent", Path::getParent, s);
      same("getNameCount", Path::getNameCount, s);
      same("normalize", Path::normalize, s);
      same("names", p -> {
        List<String> out = new ArrayList<>();
        p.forEach(x -> out.add(x.toString()));
        return out;
      }, s);
      for (String o : List.of("", "x", "/y", "x/../z")) {
        same("resolve " + o, p -> p.resolve(o), s);
        same("resolveSibling " + o, p -> p.resolveSibling(o), s);
        same("startsWith " + o, p -> p.startsWith(o), s);
        same("endsWith " + o, p -> p.endsWith(o), s);
      }
    }
  }

  @Test
  void subpathRelativizeCompare() {
    Path p = fs.getPath("/a/b/c/d");
    assertEquals("b/c", p.subpath(1, 3).toString());
    assertEquals("c", p.getName(2).toString());
    assertThrows(IllegalArgumentException.class, () -> p.subpath(2, 2));
    assertThrows(IllegalArgumentException.class, () -> p.getName(4));
    for (String[] pair : new String[][] {{"/a/b", "/a/b/c/d"}, {"/a/b/c", "/a/x/y"},
        {"/a", "/a"}, {"a/b", "a/c"}, {"", "a/b"}, {"a", ""}}) {
      assertEquals(Path.of(pair[0]).relativize(Path.of(pair[1])).toString(),
          fs.getPath(pair[0]).relativize(fs.getPath(pair[1])).toString(),
          "relativize " + pair[0] + " " + pair[1]);
      assertEquals(Integer.signum(Path.of(pair[0]).compareTo(Path.of(pair[1]))),
          Integer.signum(fs.getPath(pair[0]).compareTo(fs.getPath(pair[1]))));
    }
    assertThrows(IllegalArgumentException.class,
        () -> fs.getPath("/a").relativize(fs.getPath("b")));
    assertEquals(fs.getPath("/a/b"), fs.getPath("/a//b/"));
    assertEquals(fs.getPath("/a/b").hashCode(), fs.getPath("/a", "b").hashCode());
    assertEquals("a/b/c", fs.getPath("a", "", "b/c").toString());
    assertFalse(fs.getPath("/a").equals(Path.of("/a")));
    assertFalse(fs.getPath("/a/b").startsWith(Path.of("/a")));
  }

  @Test
  void uriInvalidAndUnsupported() {
    Path p = fs.getPath("/dir/with space/é");
    URI uri = p.toUri();
    assertEquals("overlay", uri.getScheme());
    assertEquals("paths", uri.getAuthority());
    assertEquals("/dir/with space/é", uri.getPath());
    assertEquals(p, Path.of(uri));
    assertEquals("/rel", fs.getPath("rel").toUri().getPath(), "relative: against the root");
    assertThrows(InvalidPathException.class, () -> fs.getPath("a\0b"));
    assertThrows(ProviderMismatchException.class, () -> fs.getPath("/a").resolve(Path.of("b")));
    assertThrows(UnsupportedOperationException.class, () -> fs.getPath("/a").register(null,
        StandardWatchEventKinds.ENTRY_CREATE));
    assertThrows(UnsupportedOperationException.class, fs::newWatchService);
    assertThrows(UnsupportedOperationException.class, () -> fs.getPath("/a").toFile());
    assertNull(fs.getPath("/").getFileName());
    assertTrue(fs.getRootDirectories().iterator().next().equals(fs.getPath("/")));
    assertEquals("/", fs.getSeparator());
    assertThrows(UnsupportedOperationException.class, () -> fs.getPathMatcher("foo:x"));
    assertThrows(IllegalArgumentException.class, () -> fs.getPathMatcher("nocolon"));
  }
}
