package io.overlay4j.nio;

import io.overlay4j.core.FileType;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.OverlayStats;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * An open overlay as a {@link FileSystem}: one {@link Overlay} of overlay-core, its paths
 * ({@link OverlayPath}), its one {@link FileStore}. Made by {@link OverlayFileSystemProvider}
 * (see there for the environment map); closing it closes every channel and directory stream
 * still open on it, closes the overlay and forgets its name, after which every operation on it
 * throws {@link ClosedFileSystemException}. Thread-safe.
 */
public final class OverlayFileSystem extends FileSystem {
  /** The attribute views the provider supports; {@code xattr} is overlay4j's, see {@link XattrView}. */
  static final Set<String> VIEWS = Set.of("basic", "posix", "unix", "owner", "user", "xattr");

  private final OverlayFileSystemProvider provider;
  private final String name;
  private final Overlay overlay;
  private final boolean readOnly;
  private final int umask;
  private final OverlayPath root;
  private final OverlayFileStore store;
  private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
  private final Object appendLock = new Object();
  private volatile boolean closed;

  OverlayFileSystem(OverlayFileSystemProvider provider, String name, Overlay overlay,
      boolean readOnly, int umask) {
    this.provider = provider;
    this.name = name;
    this.overlay = overlay;
    this.readOnly = readOnly || overlay.readOnly();
    this.umask = umask;
    this.root = new OverlayPath(this, "/");
    this.store = new OverlayFileStore(this);
  }

  @Override
  public OverlayFileSystemProvider provider() {
    return provider;
  }

  /** The name in the URI, {@code overlay://NAME}. */
  public String name() {
    return name;
  }

  /** The core's counters: lookups, cache hits, copy-ups, bytes copied up, whiteouts written. */
  public OverlayStats stats() {
    requireOpen();
    return overlay.stats();
  }

  /**
   * What {@link java.nio.file.Files} has no call for: {@code mknod(2)}, a FIFO, socket or
   * device node at {@code path} with permission bits {@code mode} (less the umask, as mknod(2)
   * applies it) and device number {@code rdev} (devices only). A character device 0/0 is
   * refused (it is the overlay's whiteout), as the kernel's overlayfs refuses it.
   *
   * @throws java.nio.file.FileAlreadyExistsException if something is at {@code path}
   */
  public void createSpecialFile(Path path, FileType type, int mode, long rdev)
      throws IOException {
    if (!(path instanceof OverlayPath p) || p.getFileSystem() != this) {
      throw new ProviderMismatchException(String.valueOf(path));
    }
    if (type == FileType.REGULAR || type == FileType.DIRECTORY || type == FileType.SYMLINK) {
      throw new IllegalArgumentException("createFile, createDirectory or createSymbolicLink make a "
          + type);
    }
    requireOpen();
    if (readOnly) {
      throw Errors.of(io.overlay4j.core.Errno.EROFS, p.toString(), null);
    }
    try {
      overlay.mknod(p.corePath(), type, mode & 07777 & ~umask, rdev, -1, -1);
    } catch (OverlayException e) {
      throw Errors.translate(e, p.toString(), null);
    }
  }

  /** The umask applied to the modes of new files and directories (as the kernel applies it). */
  public int umask() {
    return umask;
  }

  Overlay overlay() {
    requireOpen();
    return overlay;
  }

  /** Serializes appends (size, then write at it), so that concurrent appenders lose nothing. */
  Object appendLock() {
    return appendLock;
  }

  OverlayPath root() {
    return root;
  }

  OverlayFileStore store() {
    return store;
  }

  void requireOpen() {
    if (closed) {
      throw new ClosedFileSystemException();
    }
  }

  /** Tracks a channel or stream so that {@link #close} closes it. */
  void opened(Closeable c) {
    open.add(c);
    if (closed) {
      open.remove(c);
      try {
        c.close();
      } catch (IOException ignored) {
        // closing because the file system closed under it
      }
      throw new ClosedFileSystemException();
    }
  }

  void released(Closeable c) {
    open.remove(c);
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    provider.forget(this);
    IOException failure = null;
    for (Closeable c : new ArrayList<>(open)) {
      try {
        c.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    open.clear();
    overlay.close();
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public boolean isOpen() {
    return !closed;
  }

  /**
   * Whether the overlay is read-only: it has no upper layer, or was opened with the {@code ro}
   * option. Changes then fail with EROFS ("Read-only file system"), as through a read-only
   * mount.
   */
  @Override
  public boolean isReadOnly() {
    return readOnly;
  }

  @Override
  public String getSeparator() {
    return "/";
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    requireOpen();
    return List.of(root);
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    requireOpen();
    return List.of(store);
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return VIEWS;
  }

  @Override
  public OverlayPath getPath(String first, String... more) {
    return OverlayPath.join(this, first, more);
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    int colon = syntaxAndPattern.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("not syntax:pattern: " + syntaxAndPattern);
    }
    String syntax = syntaxAndPattern.substring(0, colon);
    String input = syntaxAndPattern.substring(colon + 1);
    String regex;
    if (syntax.equalsIgnoreCase("glob")) {
      regex = Globs.toRegex(input);
    } else if (syntax.equalsIgnoreCase("regex")) {
      regex = input;
    } else {
      throw new UnsupportedOperationException("Syntax '" + syntax + "' not recognized");
    }
    Pattern p = Pattern.compile(regex);
    return path -> p.matcher(path.toString()).matches();
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    return Principals.LOOKUP;
  }

  /** Not supported: overlay-core has no change notification (the JDK's zip file system has none either). */
  @Override
  public WatchService newWatchService() {
    throw new UnsupportedOperationException("an overlay file system has no watch service");
  }

  @Override
  public String toString() {
    return OverlayFileSystemProvider.SCHEME + "://" + name;
  }
}
