package io.overlay4j.examples;

import io.overlay4j.core.DirEntry;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.OverlayFile;
import io.overlay4j.core.config.OverlayConfig;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.MemoryLayer;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Embedding overlay4j, complete: the same overlay through {@code java.nio.file} (the {@code
 * overlay} file system provider) and through overlay-core's own API, then an overlay of
 * in-memory layers. No mount, no root, no native library needed ({@code userxattr} keeps the
 * overlay's bookkeeping in {@code user.overlay.*} xattrs, as an unprivileged kernel mount does).
 *
 * <p>Run: {@code java -cp overlay-core.jar:... io.overlay4j.examples.EmbeddingExample [DIR]}
 * ({@code EmbeddingExampleTest} runs it in every build).
 */
public final class EmbeddingExample {
  private EmbeddingExample() {}

  public static void main(String[] args) throws IOException {
    Path base = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("overlay4j-ex");
    Path lower = Files.createDirectories(base.resolve("lower"));
    Path upper = Files.createDirectories(base.resolve("upper"));
    Path work = Files.createDirectories(base.resolve("work"));
    Files.writeString(lower.resolve("greeting.txt"), "hello from the lower layer\n");
    Files.createDirectories(lower.resolve("docs"));
    Files.writeString(lower.resolve("docs/readme.md"), "# docs\n");

    // 1. java.nio.file: every API that takes a Path works on the overlay. The environment map
    //    holds mount options, named and written as for `mount -t overlay -o ...`.
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("overlay://example"), Map.of(
        "lowerdir", lower, "upperdir", upper, "workdir", work, "userxattr", true))) {
      Path greeting = fs.getPath("/greeting.txt");
      System.out.print("nio read:    " + Files.readString(greeting));
      Files.writeString(greeting, "appended in the overlay\n", StandardOpenOption.APPEND);
      Files.copy(fs.getPath("/docs/readme.md"), fs.getPath("/docs/copy.md"));
      try (Stream<Path> all = Files.walk(fs.getPath("/"))) {
        all.forEach(p -> System.out.println("nio walk:    " + p));
      }
      // Out to the default file system, and in from it.
      Files.copy(greeting, base.resolve("exported.txt"), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(base.resolve("exported.txt"), fs.getPath("/imported.txt"));
    }
    // The lower layer is untouched; the upper directory holds what changed.
    System.out.print("lower:       " + Files.readString(lower.resolve("greeting.txt")));
    System.out.println("upper:       " + Files.readString(upper.resolve("greeting.txt"))
        .replace("\n", " | "));

    // 2. The core API over the same directories: absolute path strings, errnos as exceptions.
    String options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
        + ",userxattr";
    try (Overlay o = Overlay.open(OverlayConfig.parse(options))) {
      o.mkdir("/made-by-core", 0755);
      try (OverlayFile f = o.create("/made-by-core/note.txt", 0644, -1, -1, true)) {
        f.write(ByteBuffer.wrap("written through overlay-core\n".getBytes(
            StandardCharsets.UTF_8)), 0);
      }
      for (DirEntry e : o.readdir("/")) {
        System.out.println("core readdir: " + e.name() + " (" + e.type() + ")");
      }
      try {
        o.rmdir("/docs");
      } catch (OverlayException e) {
        System.out.println("core rmdir /docs: " + e.errno()); // ENOTEMPTY
      }
    }

    // 3. In-memory layers, passed to the provider as objects: for tests and tools.
    MemoryLayer image = new MemoryLayer("image");
    image.mkdir("etc", 0755);
    image.createFile("etc/hostname", 0644);
    try (LayerFile f = image.open("etc/hostname", true)) {
      f.write(ByteBuffer.wrap("image\n".getBytes(StandardCharsets.UTF_8)), 0);
    }
    MemoryLayer scratch = new MemoryLayer("upper");
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("overlay://in-memory"), Map.of(
        "lowerLayers", List.of(image), "upperLayer", scratch,
        "workLayer", new MemoryLayer("work")))) {
      Files.writeString(fs.getPath("/etc/hostname"), "container\n");
      System.out.print("memory:      " + Files.readString(fs.getPath("/etc/hostname")));
      System.out.println("memory upper: " + scratch.list("etc"));
    }
  }
}
