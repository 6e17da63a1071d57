package io.overlay4j.core.layer;

import io.overlay4j.core.FileType;
import io.overlay4j.core.Stat;
import io.overlay4j.core.StatFs;
import java.io.IOException;
import java.util.List;

/**
 * One directory tree of an overlay: a lower layer, the upper layer or the work directory.
 *
 * <p>Paths are relative to the layer root, components separated by {@code /}, with {@code ""}
 * for the root itself. Callers pass only paths whose every component but the last was seen to
 * be a directory of this layer, so no implementation follows a symlink inside a layer: a lookup
 * never leaves the layer it reads. Every method reads or writes exactly the layer's own object
 * (the {@code l*} calls of POSIX): nothing here knows about whiteouts or merging.
 */
public interface Layer {

  /** A name for messages: the host path, or {@code memory:NAME}. */
  String name();

  /** {@code lstat}: the object's attributes, or {@code null} when nothing is at {@code path}. */
  Stat stat(String path) throws IOException;

  /** A directory entry of a layer: its name, and its type when the listing tells it (else null). */
  record Entry(String name, FileType type) {}

  /** The entries of a directory, without {@code .} and {@code ..}, in no particular order. */
  List<Entry> entries(String path) throws IOException;

  /** The names in a directory, without {@code .} and {@code ..}, in no particular order. */
  default List<String> list(String path) throws IOException {
    List<Entry> entries = entries(path);
    List<String> names = new java.util.ArrayList<>(entries.size());
    for (Entry e : entries) {
      names.add(e.name());
    }
    return names;
  }

  /** An extended attribute's value, or {@code null} when the object has no such attribute. */
  byte[] getXattr(String path, String name) throws IOException;

  /** The names of the object's extended attributes, in every namespace the caller may read. */
  List<String> listXattrs(String path) throws IOException;

  /** The target of a symbolic link. */
  String readLink(String path) throws IOException;

  /** Opens a regular file for reading, or for reading and writing. */
  LayerFile open(String path, boolean write) throws IOException;

  /** File system figures of the file system that holds this layer. */
  StatFs statFs() throws IOException;

  /**
   * The attributes of the object an origin file handle (as stored in
   * {@code trusted.overlay.origin}) names, when this layer can resolve it; otherwise null.
   */
  Stat statOfOrigin(byte[] origin) throws IOException;

  /**
   * The origin handle of an object of this layer, as a copy-up stores it in upper, or null when
   * this layer cannot name its objects by handle.
   */
  default byte[] originOf(String path) throws IOException {
    return null;
  }

  /** Joins a directory path and a name. */
  static String child(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }

  /** The directory part of a path ({@code ""} for a name at the root). */
  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  /** The last component of a path. */
  static String fileName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
