package io.overlay4j.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;

/**
 * Writes a layer directory in the on-disk format of the kernel's overlayfs: files, directories,
 * symlinks, hard links, fifos and devices, plus the overlay's own markers — char 0/0 whiteouts,
 * xattr whiteouts, opaque directories — and extended attributes, modes and owners.
 *
 * <p>Paths are relative to the layer root; missing parent directories are made (mode 0755).
 * Files, directories and links are made at once from Java; what needs root or a tool the JDK
 * lacks (device nodes, trusted.* xattrs, set-id modes, owners) is queued as shell commands that
 * run, in order, before the next Java-made object and at {@link #build}. Call {@code build()}
 * before using the layer.
 */
public final class LayerBuilder {
  /** The xattr that makes an empty regular file a whiteout. */
  public static final String WHITEOUT_XATTR = "trusted.overlay.whiteout";
  /** The xattr that marks a directory opaque ({@code y}) or holding xattr whiteouts ({@code x}). */
  public static final String OPAQUE_XATTR = "trusted.overlay.opaque";

  private final Path root;
  private final StringBuilder pending = new StringBuilder();

  /** A layer at {@code root}, made (mode 0755) when missing. */
  public LayerBuilder(Path root) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(this.root, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(this.root);
      Files.setPosixFilePermissions(this.root, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  public Path root() {
    return root;
  }

  /** The host path of a layer path. */
  public Path resolve(String path) {
    return path.isEmpty() ? root : root.resolve(path);
  }

  // ---- objects ----

  /** A directory (mode 0755), with its parents. */
  public LayerBuilder dir(String path) throws IOException {
    return dir(path, 0755);
  }

  public LayerBuilder dir(String path, int mode) throws IOException {
    flush();
    Path p = resolve(path);
    parents(p);
    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectory(p);
    }
    return chmod(path, mode);
  }

  /** A regular file (mode 0644) with UTF-8 content. */
  public LayerBuilder file(String path, String content) throws IOException {
    return file(path, content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  public LayerBuilder file(String path, String content, int mode) throws IOException {
    return file(path, content.getBytes(StandardCharsets.UTF_8), mode);
  }

  public LayerBuilder file(String path, byte[] content, int mode) throws IOException {
    flush();
    Path p = resolve(path);
    parents(p);
    Files.write(p, content);
    return chmod(path, mode);
  }

  public LayerBuilder symlink(String path, String target) throws IOException {
    flush();
    Path p = resolve(path);
    parents(p);
    Files.createSymbolicLink(p, Path.of(target));
    return this;
  }

  /** A hard link at {@code path} to the existing {@code existing} of this layer. */
  public LayerBuilder hardlink(String path, String existing) throws IOException {
    flush();
    Path p = resolve(path);
    parents(p);
    Files.createLink(p, resolve(existing));
    return this;
  }

  public LayerBuilder fifo(String path, int mode) throws IOException {
    return node(path, "mkfifo -m " + octal(mode) + " -- " + q(path));
  }

  public LayerBuilder charDevice(String path, int major, int minor) throws IOException {
    return node(path, "mknod -m 0644 -- " + q(path) + " c " + major + " " + minor);
  }

  public LayerBuilder blockDevice(String path, int major, int minor) throws IOException {
    return node(path, "mknod -m 0600 -- " + q(path) + " b " + major + " " + minor);
  }

  // ---- the overlay's markers ----

  /** A whiteout in the kernel's usual form: a character device 0/0. */
  public LayerBuilder whiteout(String path) throws IOException {
    return node(path, "mknod -m 0000 -- " + q(path) + " c 0 0");
  }

  /**
   * A whiteout in the xattr form: an empty regular file carrying {@code trusted.overlay.whiteout},
   * in a parent directory marked {@code trusted.overlay.opaque="x"} (so readdir hides it).
   */
  public LayerBuilder xattrWhiteout(String path) throws IOException {
    xattrWhiteoutUnmarked(path);
    String parent = parentOf(path);
    return holdsXattrWhiteouts(parent);
  }

  /** An xattr whiteout without marking its parent directory (readdir then still lists it). */
  public LayerBuilder xattrWhiteoutUnmarked(String path) throws IOException {
    file(path, new byte[0], 0644);
    return xattr(path, WHITEOUT_XATTR, new byte[0]);
  }

  /** Marks a directory opaque: {@code trusted.overlay.opaque="y"} hides the layers below it. */
  public LayerBuilder opaque(String dir) throws IOException {
    return xattr(dir, OPAQUE_XATTR, "y");
  }

  /** Marks a directory as holding xattr whiteouts: {@code trusted.overlay.opaque="x"}. */
  public LayerBuilder holdsXattrWhiteouts(String dir) throws IOException {
    return xattr(dir, OPAQUE_XATTR, "x");
  }

  // ---- attributes ----

  public LayerBuilder xattr(String path, String name, String value) throws IOException {
    return xattr(path, name, value.getBytes(StandardCharsets.UTF_8));
  }

  public LayerBuilder xattr(String path, String name, byte[] value) throws IOException {
    // An empty value is written without -v; a non-empty one as hex, so any bytes survive.
    String v = value.length == 0 ? "" : " -v 0x" + HexFormat.of().formatHex(value);
    return queue("setfattr -h -n " + q(name) + v + " -- " + q(path));
  }

  /** Sets every mode bit, set-id and sticky bits included. */
  public LayerBuilder chmod(String path, int mode) throws IOException {
    if ((mode & 07000) == 0) {
      flush();
      Files.setPosixFilePermissions(resolve(path), PosixFilePermissions.fromString(rwx(mode)));
      return this;
    }
    return queue("chmod " + octal(mode) + " -- " + q(path));
  }

  /** Sets owner and group (clears set-id bits, as chown(2) does: chmod afterwards). */
  public LayerBuilder chown(String path, int uid, int gid) throws IOException {
    return queue("chown -h " + uid + ":" + gid + " -- " + q(path));
  }

  /** Sets the modification time (seconds since the epoch), not following a symlink. */
  public LayerBuilder mtime(String path, long epochSeconds) throws IOException {
    return queue("touch -h -m -d @" + epochSeconds + " -- " + q(path));
  }

  /** Runs what is queued; the layer is complete afterwards. */
  public Path build() throws IOException {
    flush();
    return root;
  }

  // ---- internals ----

  private LayerBuilder node(String path, String command) throws IOException {
    flush();
    parents(resolve(path));
    return queue(command);
  }

  private LayerBuilder queue(String command) {
    pending.append(command).append('\n');
    return this;
  }

  private void flush() throws IOException {
    if (pending.length() == 0) {
      return;
    }
    String script = "set -e\ncd " + q(root.toString()) + "\n" + pending;
    pending.setLength(0);
    Shell.shOk(script);
  }

  private void parents(Path p) throws IOException {
    Path parent = p.getParent();
    if (parent == null || parent.equals(root) || Files.isDirectory(parent,
        LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    parents(parent);
    Files.createDirectory(parent);
    Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  /** A layer path quoted for the shell, made relative so names starting with - are safe. */
  private static String q(String path) {
    return Shell.quote(path.isEmpty() ? "." : path);
  }

  private static String octal(int mode) {
    return String.format("%04o", mode & 07777);
  }

  private static String rwx(int mode) {
    String all = "rwxrwxrwx";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      sb.append((mode & (0400 >> i)) != 0 ? all.charAt(i) : '-');
    }
    return sb.toString();
  }
}
