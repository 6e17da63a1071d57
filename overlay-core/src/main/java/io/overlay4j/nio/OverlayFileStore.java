package io.overlay4j.nio;

import io.overlay4j.core.OverlayException;
import io.overlay4j.core.StatFs;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserDefinedFileAttributeView;

/**
 * The overlay's one file store: its figures are {@code statfs} of the upper layer (of the top
 * lower layer when read-only), as the kernel's overlay reports them; its type is {@code overlay}.
 */
final class OverlayFileStore extends FileStore {
  private final OverlayFileSystem fs;

  OverlayFileStore(OverlayFileSystem fs) {
    this.fs = fs;
  }

  private StatFs statfs() throws IOException {
    try {
      return fs.overlay().statfs();
    } catch (OverlayException e) {
      throw Errors.translate(e, "/", null);
    }
  }

  /** The file system's name, as in {@code overlay://NAME}. */
  @Override
  public String name() {
    return fs.name();
  }

  @Override
  public String type() {
    return "overlay";
  }

  @Override
  public boolean isReadOnly() {
    return fs.isReadOnly();
  }

  @Override
  public long getTotalSpace() throws IOException {
    StatFs s = statfs();
    return s.blocks() * s.fragmentSize();
  }

  @Override
  public long getUsableSpace() throws IOException {
    StatFs s = statfs();
    return s.blocksAvailable() * s.fragmentSize();
  }

  @Override
  public long getUnallocatedSpace() throws IOException {
    StatFs s = statfs();
    return s.blocksFree() * s.fragmentSize();
  }

  @Override
  public long getBlockSize() throws IOException {
    return statfs().fragmentSize();
  }

  @Override
  public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
    return type == BasicFileAttributeView.class || type == PosixFileAttributeView.class
        || type == FileOwnerAttributeView.class || type == UserDefinedFileAttributeView.class
        || type == XattrView.class;
  }

  @Override
  public boolean supportsFileAttributeView(String name) {
    return OverlayFileSystem.VIEWS.contains(name);
  }

  @Override
  public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
    return null;
  }

  /** {@code totalSpace}, {@code usableSpace} and {@code unallocatedSpace}, as the JDK's stores. */
  @Override
  public Object getAttribute(String attribute) throws IOException {
    return switch (attribute) {
      case "totalSpace" -> getTotalSpace();
      case "usableSpace" -> getUsableSpace();
      case "unallocatedSpace" -> getUnallocatedSpace();
      default -> throw new UnsupportedOperationException("'" + attribute + "' not recognized");
    };
  }

  @Override
  public String toString() {
    return fs + " (overlay)";
  }
}
