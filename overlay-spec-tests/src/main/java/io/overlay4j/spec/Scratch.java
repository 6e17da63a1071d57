package io.overlay4j.spec;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A fresh directory under /tmp for one test, deleted (not following symlinks) on close.
 * /tmp keeps layers, upper and work on one file system, which the kernel's inode numbering
 * and copy-up by rename rely on.
 */
public final class Scratch implements Closeable {
  private final Path root;

  private Scratch(Path root) {
    this.root = root;
  }

  /** A new directory {@code /tmp/overlay4j-NAME-XXXX}. */
  public static Scratch create(String name) throws IOException {
    Path root = Files.createTempDirectory(Path.of("/tmp"), "overlay4j-" + name + "-");
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    return new Scratch(root);
  }

  public Path root() {
    return root;
  }

  /** A new empty directory (mode 0755) inside the scratch directory. */
  public Path dir(String name) throws IOException {
    Path p = Files.createDirectories(root.resolve(name));
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  /** A layer builder for a new directory inside the scratch directory. */
  public LayerBuilder layer(String name) throws IOException {
    return new LayerBuilder(dir(name));
  }

  @Override
  public void close() {
    Shell.deleteTree(root);
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
