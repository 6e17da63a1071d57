package io.overlay4j.spec;

import io.overlay4j.core.DirEntry;
import io.overlay4j.core.Errno;
import io.overlay4j.core.FileType;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.OverlayFile;
import io.overlay4j.core.Stat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;

/**
 * A value model of a directory tree as one implementation shows it: for each path (relative,
 * {@code ""} for the root) its type, permission bits, owner, size, content hash, symlink target,
 * device number, inode number, link count, extended attributes and times. Snapshots of the same
 * tree taken through different implementations (the kernel's overlay, overlay4j, a raw layer
 * directory) are compared with {@link #diff}, which lists every difference as one readable line.
 *
 * <p>A name that a directory lists but that cannot be looked up (the kernel's overlay does this
 * for whiteouts in a directory it passes through unfiltered) is recorded as a
 * {@link Type#LISTED_NOT_FOUND} entry without attributes, so both sides must list it.
 */
public final class TreeSnapshot {

  /** The kind of object at a path. */
  public enum Type {
    REGULAR, DIRECTORY, SYMLINK, CHAR_DEVICE, BLOCK_DEVICE, FIFO, SOCKET,
    /** readdir lists the name, lstat of it fails with ENOENT. */
    LISTED_NOT_FOUND,
    /** readdir lists the name, lstat of it fails with another error (in {@link Entry#error}). */
    LISTED_ERROR;

    static Type of(FileType t) {
      return switch (t) {
        case REGULAR -> REGULAR;
        case DIRECTORY -> DIRECTORY;
        case SYMLINK -> SYMLINK;
        case CHAR_DEVICE -> CHAR_DEVICE;
        case BLOCK_DEVICE -> BLOCK_DEVICE;
        case FIFO -> FIFO;
        case SOCKET -> SOCKET;
      };
    }

    /** The type encoded in the S_IFMT bits of an st_mode. */
    static Type ofMode(int stMode) {
      return of(FileType.fromMode(stMode));
    }

    boolean listedOnly() {
      return this == LISTED_NOT_FOUND || this == LISTED_ERROR;
    }
  }

  /** The attributes a snapshot records, each of which a comparison may ignore. */
  public enum Field {
    TYPE, MODE, UID, GID,
    /** st_size, for regular files and symlinks. */
    SIZE,
    /** sha-256 of the content, for regular files. */
    SHA256,
    /** readlink, for symlinks. */
    TARGET,
    /** st_rdev, for character and block devices. */
    RDEV,
    INO,
    /** st_nlink, for everything but directories. */
    NLINK,
    /** every name listxattr reports with its value. */
    XATTRS,
    MTIME, CTIME,
    /** the error of a name that is listed but cannot be looked up. */
    ERROR
  }

  /** No field ignored. */
  public static final Set<Field> EVERYTHING = Collections.unmodifiableSet(EnumSet.noneOf(
      Field.class));

  /**
   * The attributes of one object. Inapplicable values are {@code -1} or {@code null}: size for
   * anything but regular files and symlinks, sha256 for anything but regular files, target for
   * anything but symlinks, rdev for anything but devices, nlink for directories. A listed-only
   * entry has nothing but its type (and error).
   */
  public record Entry(Type type, int mode, int uid, int gid, long size, String sha256,
      String target, long rdev, long ino, int nlink, SortedMap<String, String> xattrs,
      long mtimeNanos, long ctimeNanos, String error) {

    public Entry {
      Objects.requireNonNull(type, "type");
      xattrs = xattrs == null ? null : Collections.unmodifiableSortedMap(new TreeMap<>(xattrs));
    }

    /** An entry for a name that is listed but fails lookup. */
    public static Entry listedOnly(Type type, String error) {
      return new Entry(type, -1, -1, -1, -1, null, null, -1, -1, -1, null, -1, -1, error);
    }

    /** The value of one field, formatted for messages (null when it does not apply). */
    public String show(Field f) {
      return switch (f) {
        case TYPE -> type.name().toLowerCase();
        case MODE -> mode < 0 ? null : String.format("0%04o", mode);
        case UID -> uid < 0 ? null : Integer.toString(uid);
        case GID -> gid < 0 ? null : Integer.toString(gid);
        case SIZE -> size < 0 ? null : Long.toString(size);
        case SHA256 -> sha256;
        case TARGET -> target == null ? null : showName(target);
        case RDEV -> rdev < 0 ? null : major(rdev) + ":" + minor(rdev);
        case INO -> ino < 0 ? null : Long.toString(ino);
        case NLINK -> nlink < 0 ? null : Integer.toString(nlink);
        case XATTRS -> xattrs == null ? null : showXattrs(xattrs);
        case MTIME -> mtimeNanos < 0 ? null : showTime(mtimeNanos);
        case CTIME -> ctimeNanos < 0 ? null : showTime(ctimeNanos);
        case ERROR -> error;
      };
    }

    /** A one-line description: type, mode, owner and what else applies. */
    public String describe() {
      StringBuilder sb = new StringBuilder(show(Field.TYPE));
      for (Field f : List.of(Field.MODE, Field.UID, Field.GID, Field.SIZE, Field.NLINK,
          Field.INO, Field.RDEV, Field.TARGET, Field.SHA256, Field.ERROR)) {
        String v = show(f);
        if (v != null) {
          sb.append(' ').append(f.name().toLowerCase()).append('=')
              .append(f == Field.SHA256 ? v.substring(0, Math.min(12, v.length())) : v);
        }
      }
      if (xattrs != null && !xattrs.isEmpty()) {
        sb.append(" xattrs=").append(showXattrs(xattrs));
      }
      return sb.toString();
    }
  }

  private final String label;
  private final SortedMap<String, Entry> entries;

  public TreeSnapshot(String label, Map<String, Entry> entries) {
    this.label = Objects.requireNonNull(label);
    this.entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
  }

  /** Where the snapshot came from, for messages ("kernel", "overlay4j", a directory). */
  public String label() {
    return label;
  }

  public TreeSnapshot withLabel(String newLabel) {
    return new TreeSnapshot(newLabel, entries);
  }

  /** Every path (relative, {@code ""} for the root) with its entry, sorted by path. */
  public SortedMap<String, Entry> entries() {
    return entries;
  }

  public Entry get(String path) {
    return entries.get(path);
  }

  public int size() {
    return entries.size();
  }

  /** The same snapshot without the paths {@code exclude} accepts (and what is below them). */
  public TreeSnapshot without(BiPredicate<String, Entry> exclude) {
    Map<String, Entry> kept = new TreeMap<>();
    Set<String> dropped = new TreeSet<>();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      String p = e.getKey();
      if (exclude.test(p, e.getValue()) || dropped.stream().anyMatch(d -> p.startsWith(d + "/"))) {
        dropped.add(p);
      } else {
        kept.put(p, e.getValue());
      }
    }
    return new TreeSnapshot(label, kept);
  }

  // ---- comparing ----

  /**
   * Every difference between this snapshot and {@code other}, one line each: {@code path: only
   * in LABEL (entry)} or {@code path: field: THIS-LABEL=a OTHER-LABEL=b}. Empty when equal on
   * every field not in {@code ignore}.
   */
  public List<String> diff(TreeSnapshot other, Set<Field> ignore) {
    List<String> out = new ArrayList<>();
    String a = label;
    String b = other.label.equals(label) ? other.label + "'" : other.label;
    Set<String> paths = new TreeSet<>(entries.keySet());
    paths.addAll(other.entries.keySet());
    for (String p : paths) {
      Entry x = entries.get(p);
      Entry y = other.entries.get(p);
      String shown = showPath(p);
      if (y == null) {
        out.add(shown + ": only in " + a + " (" + x.describe() + ")");
        continue;
      }
      if (x == null) {
        out.add(shown + ": only in " + b + " (" + y.describe() + ")");
        continue;
      }
      if (!ignore.contains(Field.TYPE) && x.type() != y.type()) {
        out.add(shown + ": type: " + a + "=" + x.describe() + " " + b + "=" + y.describe());
        continue;
      }
      for (Field f : Field.values()) {
        if (f == Field.TYPE || ignore.contains(f)) {
          continue;
        }
        if (f == Field.XATTRS && x.xattrs() != null && y.xattrs() != null) {
          diffXattrs(shown, a, x.xattrs(), b, y.xattrs(), out);
          continue;
        }
        String vx = x.show(f);
        String vy = y.show(f);
        if (!Objects.equals(vx, vy)) {
          out.add(shown + ": " + f.name().toLowerCase() + ": " + a + "=" + vx + " " + b + "="
              + vy);
        }
      }
    }
    return out;
  }

  public List<String> diff(TreeSnapshot other) {
    return diff(other, EVERYTHING);
  }

  /**
   * Throws an AssertionError listing every difference (and both trees, when they are small
   * enough to read) unless the snapshots are equal on every field not ignored.
   */
  public void requireSameAs(TreeSnapshot other, Set<Field> ignore, String what) {
    List<String> d = diff(other, ignore);
    if (d.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder(what).append(": ").append(d.size())
        .append(d.size() == 1 ? " difference" : " differences").append(" between ")
        .append(label).append(" and ").append(other.label)
        .append(ignore.isEmpty() ? "" : " (ignoring " + ignore + ")").append('\n');
    for (String line : d.subList(0, Math.min(d.size(), 200))) {
      sb.append("  ").append(line).append('\n');
    }
    if (d.size() > 200) {
      sb.append("  ... ").append(d.size() - 200).append(" more\n");
    }
    if (size() + other.size() <= 400) {
      sb.append(render()).append(other.render());
    }
    throw new AssertionError(sb.toString());
  }

  /** The whole tree, one line per path, for failure messages. */
  public String render() {
    StringBuilder sb = new StringBuilder("--- ").append(label).append(" (").append(size())
        .append(" entries)\n");
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      sb.append("  ").append(showPath(e.getKey())).append("  ").append(e.getValue().describe())
          .append('\n');
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return render();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TreeSnapshot t && entries.equals(t.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  private static void diffXattrs(String path, String a, SortedMap<String, String> x, String b,
      SortedMap<String, String> y, List<String> out) {
    Set<String> names = new TreeSet<>(x.keySet());
    names.addAll(y.keySet());
    for (String n : names) {
      String vx = x.get(n);
      String vy = y.get(n);
      if (!Objects.equals(vx, vy)) {
        out.add(path + ": xattr " + n + ": " + a + "=" + (vx == null ? "absent" : showHex(vx))
            + " " + b + "=" + (vy == null ? "absent" : showHex(vy)));
      }
    }
  }

  // ---- sources ----

  /**
   * A raw directory as it is on disk: whiteouts are char 0/0 entries, and every extended
   * attribute (trusted.overlay.* included, when the caller may read them) is recorded.
   */
  public static TreeSnapshot ofDirectory(Path root) throws IOException {
    return ofHostPath(root.toString(), root);
  }

  /** The tree under a live mount, seen through the mount's namespace. */
  public static TreeSnapshot ofMountedTree(MountedTree mount) throws IOException {
    return ofHostPath(mount.name(), mount.hostPath());
  }

  /** Any directory this process can read, under a label of the caller's choice. */
  public static TreeSnapshot ofHostPath(String label, Path root) throws IOException {
    return ofHostPath(label, root, HostXattrs::read);
  }

  /** Reads the xattrs of many host paths at once (relative path → name → value). */
  @FunctionalInterface
  public interface XattrReader {
    Map<String, SortedMap<String, String>> read(Map<String, Path> hostPaths) throws IOException;
  }

  /** A host tree whose xattrs are read by {@code reader} (in-process, or by a tool). */
  public static TreeSnapshot ofHostPath(String label, Path root, XattrReader reader)
      throws IOException {
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, Path> hostPaths = new LinkedHashMap<>();
    walkHost(root, "", entries, hostPaths, true);
    Map<String, SortedMap<String, String>> xattrs = reader.read(hostPaths);
    Map<String, Entry> withXattrs = new TreeMap<>();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      Entry en = e.getValue();
      if (!en.type().listedOnly()) {
        SortedMap<String, String> xa = xattrs.getOrDefault(e.getKey(), new TreeMap<>());
        en = new Entry(en.type(), en.mode(), en.uid(), en.gid(), en.size(), en.sha256(),
            en.target(), en.rdev(), en.ino(), en.nlink(), xa, en.mtimeNanos(),
            en.ctimeNanos(), en.error());
      }
      withXattrs.put(e.getKey(), en);
    }
    return new TreeSnapshot(label, withXattrs);
  }

  private static void walkHost(Path host, String rel, Map<String, Entry> out,
      Map<String, Path> hostPaths, boolean isRoot) throws IOException {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(host, "unix:*", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      if (isRoot) {
        throw e;
      }
      out.put(rel, Entry.listedOnly(Type.LISTED_NOT_FOUND, null));
      return;
    } catch (FileSystemException e) {
      if (isRoot) {
        throw e;
      }
      out.put(rel, Entry.listedOnly(Type.LISTED_ERROR, e.getReason()));
      return;
    }
    int stMode = (Integer) a.get("mode");
    Type type = Type.ofMode(stMode);
    long size = type == Type.REGULAR || type == Type.SYMLINK ? (Long) a.get("size") : -1;
    String sha = type == Type.REGULAR ? sha256Of(host) : null;
    String target = type == Type.SYMLINK ? Files.readSymbolicLink(host).toString() : null;
    long rdev = type == Type.CHAR_DEVICE || type == Type.BLOCK_DEVICE ? (Long) a.get("rdev") : -1;
    int nlink = type == Type.DIRECTORY ? -1 : (Integer) a.get("nlink");
    out.put(rel, new Entry(type, stMode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"),
        size, sha, target, rdev, (Long) a.get("ino"), nlink, null,
        nanos((FileTime) a.get("lastModifiedTime")), nanos((FileTime) a.get("ctime")), null));
    hostPaths.put(rel, host);
    if (type == Type.DIRECTORY) {
      List<String> names = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(host)) {
        for (Path p : ds) {
          names.add(p.getFileName().toString());
        }
      }
      Collections.sort(names);
      for (String n : names) {
        walkHost(host.resolve(n), rel.isEmpty() ? n : rel + "/" + n, out, hostPaths, false);
      }
    }
  }

  /**
   * overlay4j's merged view, read through its API only: getattr, readdir, readlink, openRead,
   * listxattr and getxattr.
   */
  public static TreeSnapshot ofOverlay(Overlay overlay) throws IOException {
    return ofOverlay("overlay4j", overlay);
  }

  public static TreeSnapshot ofOverlay(String label, Overlay overlay) throws IOException {
    Map<String, Entry> out = new TreeMap<>();
    walkOverlay(overlay, "", out, true);
    return new TreeSnapshot(label, out);
  }

  private static void walkOverlay(Overlay o, String rel, Map<String, Entry> out, boolean isRoot)
      throws IOException {
    String path = "/" + rel;
    Stat st;
    try {
      st = o.getattr(path);
    } catch (OverlayException e) {
      if (isRoot) {
        throw e;
      }
      out.put(rel, e.errno() == Errno.ENOENT
          ? Entry.listedOnly(Type.LISTED_NOT_FOUND, null)
          : Entry.listedOnly(Type.LISTED_ERROR, e.errno() + ": " + e.getMessage()));
      return;
    }
    Type type = Type.of(st.type());
    String sha = null;
    if (type == Type.REGULAR) {
      try (OverlayFile f = o.openRead(path)) {
        MessageDigest md = sha256();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long pos = 0;
        for (int n; (n = f.read(buf.clear(), pos)) > 0; ) {
          pos += n;
          md.update(buf.array(), 0, n);
        }
        sha = HexFormat.of().formatHex(md.digest());
      }
    }
    SortedMap<String, String> xattrs = new TreeMap<>();
    for (String name : o.listxattr(path)) {
      xattrs.put(name, HexFormat.of().formatHex(o.getxattr(path, name)));
    }
    out.put(rel, new Entry(type, st.mode(), st.uid(), st.gid(),
        type == Type.REGULAR || type == Type.SYMLINK ? st.size() : -1, sha,
        type == Type.SYMLINK ? o.readlink(path) : null,
        type == Type.CHAR_DEVICE || type == Type.BLOCK_DEVICE ? st.rdev() : -1,
        st.ino(), type == Type.DIRECTORY ? -1 : st.nlink(), xattrs, st.mtimeNanos(),
        st.ctimeNanos(), null));
    if (type == Type.DIRECTORY) {
      List<String> names = new ArrayList<>();
      for (DirEntry d : o.readdir(path)) {
        names.add(d.name());
      }
      Collections.sort(names);
      for (String n : names) {
        walkOverlay(o, rel.isEmpty() ? n : rel + "/" + n, out, false);
      }
    }
  }

  // ---- helpers ----

  private static String sha256Of(Path file) throws IOException {
    MessageDigest md = sha256();
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static long nanos(FileTime t) {
    return t.to(TimeUnit.NANOSECONDS);
  }

  /** Linux's major number of a dev_t. */
  public static long major(long dev) {
    return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
  }

  /** Linux's minor number of a dev_t. */
  public static long minor(long dev) {
    return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
  }

  /** A path for messages: {@code .} for the root, control characters escaped. */
  public static String showPath(String rel) {
    return rel.isEmpty() ? "." : showName(rel);
  }

  static String showName(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        sb.append("\\\\");
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static String showTime(long nanos) {
    return java.time.Instant.ofEpochSecond(0, nanos).toString();
  }

  private static String showXattrs(SortedMap<String, String> xattrs) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, String> e : xattrs.entrySet()) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(e.getKey()).append('=').append(showHex(e.getValue()));
    }
    return sb.append('}').toString();
  }

  /** An xattr value (hex) as a quoted string when it is printable ASCII, else as 0x... */
  static String showHex(String hex) {
    byte[] b = HexFormat.of().parseHex(hex);
    for (byte x : b) {
      if (x < 0x20 || x > 0x7e) {
        return "0x" + hex;
      }
    }
    return '"' + new String(b, StandardCharsets.US_ASCII) + '"';
  }
}
