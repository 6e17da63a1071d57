package io.overlay4j.nio;

import java.io.IOException;
import java.nio.file.attribute.FileAttributeView;
import java.util.List;

/**
 * overlay4j's view of every extended attribute of an object by its full name ({@code user.*},
 * {@code trusted.*}, {@code security.*}), with {@code setxattr}'s flags: what the JDK's {@link
 * java.nio.file.attribute.UserDefinedFileAttributeView} cannot express (it sees {@code user.*}
 * only and always replaces). The overlay's private {@code trusted.overlay.*} attributes stay
 * hidden, as through a mount. Obtained with {@code Files.getFileAttributeView(path,
 * XattrView.class[, NOFOLLOW_LINKS])}; its name is {@code "xattr"}. Errors are those of the
 * system calls: a missing attribute is ENODATA ("No data available").
 */
public interface XattrView extends FileAttributeView {
  /** {@code XATTR_CREATE}: fail with EEXIST if the attribute exists. */
  int CREATE = 1;
  /** {@code XATTR_REPLACE}: fail with ENODATA if the attribute does not exist. */
  int REPLACE = 2;

  /** {@code "xattr"}. */
  @Override
  String name();

  /** {@code listxattr}: the full names. */
  List<String> list() throws IOException;

  /** {@code getxattr}. */
  byte[] read(String name) throws IOException;

  /** {@code setxattr} with flags 0, {@link #CREATE} or {@link #REPLACE}. */
  void write(String name, byte[] value, int flags) throws IOException;

  /** {@code removexattr}. */
  void delete(String name) throws IOException;
}
