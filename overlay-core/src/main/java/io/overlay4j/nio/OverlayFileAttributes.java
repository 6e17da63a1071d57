package io.overlay4j.nio;

import io.overlay4j.core.FileType;
import io.overlay4j.core.Stat;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The core's {@link Stat} as the JDK's attributes: {@code basic}, {@code posix}, and {@code
 * unix} (the JDK's Unix provider's extra names: dev, ino, mode, uid, gid, nlink, rdev, ctime).
 * Creation time is the modification time, as the JDK reports it where there is no birth time.
 */
final class OverlayFileAttributes implements PosixFileAttributes {
  private final Stat st;

  OverlayFileAttributes(Stat st) {
    this.st = st;
  }

  Stat stat() {
    return st;
  }

  /** The file key: device and inode, as the JDK's {@code UnixFileKey}. */
  record Key(long dev, long ino) {
    @Override
    public String toString() {
      return "(dev=" + Long.toHexString(dev) + ",ino=" + ino + ")";
    }
  }

  static FileTime time(long nanos) {
    return FileTime.from(Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L),
        Math.floorMod(nanos, 1_000_000_000L)));
  }

  @Override
  public FileTime lastModifiedTime() {
    return time(st.mtimeNanos());
  }

  @Override
  public FileTime lastAccessTime() {
    return time(st.atimeNanos());
  }

  @Override
  public FileTime creationTime() {
    return lastModifiedTime();
  }

  @Override
  public boolean isRegularFile() {
    return st.type() == FileType.REGULAR;
  }

  @Override
  public boolean isDirectory() {
    return st.type() == FileType.DIRECTORY;
  }

  @Override
  public boolean isSymbolicLink() {
    return st.type() == FileType.SYMLINK;
  }

  @Override
  public boolean isOther() {
    return !isRegularFile() && !isDirectory() && !isSymbolicLink();
  }

  @Override
  public long size() {
    return st.size();
  }

  @Override
  public Object fileKey() {
    return new Key(st.dev(), st.ino());
  }

  @Override
  public UserPrincipal owner() {
    return Principals.user(st.uid());
  }

  @Override
  public GroupPrincipal group() {
    return Principals.group(st.gid());
  }

  @Override
  public Set<PosixFilePermission> permissions() {
    return permissions(st.mode());
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ ... OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) {
      if ((mode & (0400 >> i)) != 0) {
        out.add(all[i]);
      }
    }
    return out;
  }

  static int mode(Set<?> perms) {
    int mode = 0;
    for (Object o : perms) {
      if (!(o instanceof PosixFilePermission p)) {
        throw new ClassCastException("not a PosixFilePermission: " + o);
      }
      mode |= 0400 >> p.ordinal();
    }
    return mode;
  }

  static final String[] BASIC = {"lastModifiedTime", "lastAccessTime", "creationTime", "size",
      "isRegularFile", "isDirectory", "isSymbolicLink", "isOther", "fileKey"};
  static final String[] POSIX = {"permissions", "owner", "group"};
  static final String[] UNIX = {"dev", "ino", "mode", "uid", "gid", "nlink", "rdev", "ctime"};

  /** One attribute by name ({@code null} when the name is unknown). */
  Object get(String name) {
    return switch (name) {
      case "lastModifiedTime" -> lastModifiedTime();
      case "lastAccessTime" -> lastAccessTime();
      case "creationTime" -> creationTime();
      case "size" -> size();
      case "isRegularFile" -> isRegularFile();
      case "isDirectory" -> isDirectory();
      case "isSymbolicLink" -> isSymbolicLink();
      case "isOther" -> isOther();
      case "fileKey" -> fileKey();
      case "permissions" -> permissions();
      case "owner" -> owner();
      case "group" -> group();
      case "dev" -> st.dev();
      case "ino" -> st.ino();
      case "mode" -> st.stMode();
      case "uid" -> st.uid();
      case "gid" -> st.gid();
      case "nlink" -> st.nlink();
      case "rdev" -> st.rdev();
      case "ctime" -> time(st.ctimeNanos());
      default -> null;
    };
  }

  /**
   * The attributes a view shows ({@code basic}, {@code posix}, {@code unix}, {@code owner}),
   * selected by a comma-separated list or {@code *}; an unknown name is an
   * IllegalArgumentException, as in the JDK.
   */
  Map<String, Object> select(String view, String names) {
    java.util.List<String> known = new java.util.ArrayList<>();
    if (view.equals("owner")) {
      known.add("owner");
    } else {
      known.addAll(java.util.List.of(BASIC));
      if (view.equals("posix") || view.equals("unix")) {
        known.addAll(java.util.List.of(POSIX));
      }
      if (view.equals("unix")) {
        known.addAll(java.util.List.of(UNIX));
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (String n : names.split(",")) {
      if (n.equals("*")) {
        for (String k : known) {
          out.put(k, get(k));
        }
      } else if (known.contains(n)) {
        out.put(n, get(n));
      } else {
        throw new IllegalArgumentException("'" + n + "' not recognized");
      }
    }
    return out;
  }
}
