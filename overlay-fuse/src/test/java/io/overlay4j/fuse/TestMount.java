package io.overlay4j.fuse;

import io.overlay4j.core.Overlay;
import io.overlay4j.core.config.OverlayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * An overlay4j FUSE mount served by this JVM, over directories under one temporary root:
 * {@code l1}, {@code l2} (lower, l1 on top), {@code upper}, {@code work}, {@code merged}.
 */
final class TestMount implements AutoCloseable {
  final Path root;
  final Path l1;
  final Path l2;
  final Path upper;
  final Path work;
  final Path merged;
  private Thread server;
  private OverlayFuse fs;

  TestMount() throws IOException {
    root = Files.createTempDirectory("overlay4j-mount");
    Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString(
        "rwxr-xr-x")); // other users' tests must reach merged/
    l1 = Files.createDirectory(root.resolve("l1"));
    l2 = Files.createDirectory(root.resolve("l2"));
    upper = Files.createDirectory(root.resolve("upper"));
    work = Files.createDirectory(root.resolve("work"));
    merged = Files.createDirectory(root.resolve("merged"));
  }

  String options() {
    return "lowerdir=" + l1 + ":" + l2 + ",upperdir=" + upper + ",workdir=" + work;
  }

  /** Mounts and returns once the mount is live. */
  TestMount mount() throws Exception {
    Overlay overlay = Overlay.open(OverlayConfig.parse(options()));
    fs = new OverlayFuse(overlay, true, false);
    String[] args = MountCommand.fuseArgs(List.of(), false, true, false).toArray(String[]::new);
    server = new Thread(() -> fs.mount(merged, true, false, args), "fuse-" + merged);
    server.setDaemon(true);
    server.start();
    if (!MountCommand.await(() -> MountTable.isOverlay4j(merged), 30)) {
      throw new IllegalStateException("mount did not appear at " + merged);
    }
    return this;
  }

  void unmount() throws Exception {
    if (server != null && MountTable.isMountPoint(merged)) {
      MountTable.unmount(merged, false);
      server.join(10_000);
    }
    server = null;
  }

  @Override
  public void close() throws Exception {
    try {
      unmount();
    } finally {
      if (MountTable.isMountPoint(merged)) {
        MountTable.unmount(merged, true);
      }
      FuseTestSupport.deleteTree(root);
    }
  }

  /** The file system this JVM serves (null before {@link #mount()}). */
  OverlayFuse fs() {
    return fs;
  }

  static List<String> lines(String s) {
    return s.lines().toList();
  }
}
