package io.overlay4j.nio;

import io.overlay4j.core.Errno;
import io.overlay4j.core.Stat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The attribute views of a path; each call goes to the overlay when made (views are lazy). */
final class AttributeViews {
  private AttributeViews() {}

  /** {@code basic}, {@code posix} and {@code owner} in one: what a view can do follows its type. */
  static final class Posix implements PosixFileAttributeView {
    private final OverlayFileSystemProvider provider;
    private final OverlayPath path;
    private final boolean follow;
    private final String name;

    Posix(OverlayFileSystemProvider provider, OverlayPath path, boolean follow, String name) {
      this.provider = provider;
      this.path = path;
      this.follow = follow;
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public PosixFileAttributes readAttributes() throws IOException {
      return provider.attributes(path, follow);
    }

    /** {@code utimensat}: a null time is left as it is; the creation time cannot be set. */
    @Override
    public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime,
        FileTime createTime) throws IOException {
      provider.setTimes(path, follow, lastModifiedTime, lastAccessTime);
    }

    @Override
    public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
      provider.chmod(path, follow, OverlayFileAttributes.mode(perms));
    }

    @Override
    public UserPrincipal getOwner() throws IOException {
      return provider.attributes(path, follow).owner();
    }

    @Override
    public void setOwner(UserPrincipal owner) throws IOException {
      provider.chown(path, follow, Principals.uidOf(owner), -1);
    }

    @Override
    public void setGroup(GroupPrincipal group) throws IOException {
      provider.chown(path, follow, -1, Principals.gidOf(group));
    }
  }

  /** The {@code basic} view as its own type (so that a caller cannot cast it to more). */
  static BasicFileAttributeView basic(Posix p) {
    return new BasicFileAttributeView() {
      @Override
      public String name() {
        return "basic";
      }

      @Override
      public BasicFileAttributes readAttributes() throws IOException {
        return p.readAttributes();
      }

      @Override
      public void setTimes(FileTime m, FileTime a, FileTime c) throws IOException {
        p.setTimes(m, a, c);
      }
    };
  }

  static FileOwnerAttributeView owner(Posix p) {
    return new FileOwnerAttributeView() {
      @Override
      public String name() {
        return "owner";
      }

      @Override
      public UserPrincipal getOwner() throws IOException {
        return p.getOwner();
      }

      @Override
      public void setOwner(UserPrincipal owner) throws IOException {
        p.setOwner(owner);
      }
    };
  }

  /** All extended attributes by full name, with setxattr's flags. */
  static final class Xattr implements XattrView {
    private final OverlayFileSystemProvider provider;
    private final OverlayPath path;
    private final boolean follow;

    Xattr(OverlayFileSystemProvider provider, OverlayPath path, boolean follow) {
      this.provider = provider;
      this.path = path;
      this.follow = follow;
    }

    @Override
    public String name() {
      return "xattr";
    }

    @Override
    public List<String> list() throws IOException {
      return provider.listxattr(path, follow);
    }

    @Override
    public byte[] read(String name) throws IOException {
      return provider.getxattr(path, follow, name);
    }

    @Override
    public void write(String name, byte[] value, int flags) throws IOException {
      provider.setxattr(path, follow, name, value, flags);
    }

    @Override
    public void delete(String name) throws IOException {
      provider.removexattr(path, follow, name);
    }
  }

  /**
   * The JDK's {@code user} view: {@code user.*} attributes without their prefix; failures say
   * what failed as the JDK's Linux view says it ("Unable to get size of extended attribute
   * 'x': No data available").
   */
  static final class User implements UserDefinedFileAttributeView {
    private final Xattr x;

    User(Xattr x) {
      this.x = x;
    }

    @Override
    public String name() {
      return "user";
    }

    @FunctionalInterface
    private interface Io<T> {
      T run() throws IOException;
    }

    /**
     * As the JDK's view, which opens the file first ({@code O_NOFOLLOW} without following) and
     * then asks for its attributes: errors of the path are the path's, a symlink not followed
     * is ELOOP, and only errors of the attribute call say which call failed.
     */
    private <T> T as(String what, Io<T> call) throws IOException {
      Stat st = x.provider.stat(x.path, x.follow);
      if (!x.follow && st.isSymlink()) {
        throw Errors.of(Errno.ELOOP, x.path.toString(), null);
      }
      try {
        return call.run();
      } catch (java.nio.file.FileSystemException e) {
        java.nio.file.FileSystemException w = new java.nio.file.FileSystemException(
            e.getFile(), null, what + ": " + e.getReason());
        w.initCause(e.getCause());
        throw w;
      }
    }

    @Override
    public List<String> list() throws IOException {
      List<String> out = new ArrayList<>();
      for (String n : as("Unable to get list of extended attributes", x::list)) {
        if (n.startsWith("user.")) {
          out.add(n.substring(5));
        }
      }
      return out;
    }

    @Override
    public int size(String name) throws IOException {
      return as("Unable to get size of extended attribute '" + name + "'",
          () -> x.read("user." + name)).length;
    }

    /** Reads the value into {@code dst}; too little room is an error, as in the JDK. */
    @Override
    public int read(String name, ByteBuffer dst) throws IOException {
      String what = "Error reading extended attribute '" + name + "'";
      byte[] v = as(what, () -> x.read("user." + name));
      if (dst.remaining() < v.length) {
        throw Errors.withErrno(new java.nio.file.FileSystemException(x.path.toString(), null,
            what + ": " + Errors.strerror(Errno.ERANGE)),
            Errno.ERANGE, x.path.toString());
      }
      dst.put(v);
      return v.length;
    }

    @Override
    public int write(String name, ByteBuffer src) throws IOException {
      byte[] v = new byte[src.remaining()];
      src.duplicate().get(v);
      as("Error writing extended attribute '" + name + "'", () -> {
        x.write("user." + name, v, 0);
        return null;
      });
      src.position(src.limit());
      return v.length;
    }

    @Override
    public void delete(String name) throws IOException {
      as("Unable to delete extended attribute '" + name + "'", () -> {
        x.delete("user." + name);
        return null;
      });
    }
  }
}
