package io.overlay4j.spec.model;

import io.overlay4j.spec.TreeSnapshot;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The reference model of an overlay's union semantics, independent of overlay-core: the merged
 * view as a tree of nodes (type, mode, owner, content, link target, xattrs, hard-link identity,
 * inode identity, mtime where it is determined), built from the lower layers by the kernel's
 * lookup rules, then changed by each {@link Op} with the kernel's semantics, errnos included.
 * It also tracks what the upper directory must hold in the kernel's format: which objects have
 * been copied up, where whiteouts are and which directories are opaque.
 *
 * <p>Where this model and the kernel disagree the kernel is right: the conformance suite runs
 * against the kernel to keep it honest. The rules and their sources are commented in place.
 */
public final class Model {
  /** Mount options the model knows about. */
  public record Options(boolean redirectDir) {
    public static final Options DEFAULT = new Options(false);
  }

  /** The owner and mode of the upper root directory (the merged root reports them). */
  public record RootAttrs(int mode, int uid, int gid) {}

  public enum Type { FILE, DIR, SYMLINK, FIFO, CHAR }

  static final int S_ISUID = 04000;
  static final int S_ISGID = 02000;
  static final int S_IXGRP = 00010;
  private static final int MAXSYMLINKS = 40;
  private static final int NAME_MAX = 255;
  /** Paths as the core's API takes them ("/" + path) must be shorter than PATH_MAX (4096). */
  private static final int PATH_MAX = 4096;

  /** A lower copy of a directory: layer index (0 = topmost lower) and path in that layer. */
  record Copy(int layer, String path) {}

  /** A lower object as the kernel numbers it: its key and its link count in its layer. */
  record LowerObj(String key, int nlink) {}

  abstract static class Node {
    Type type;
    int mode;
    int uid;
    int gid;
    TreeMap<String, byte[]> xattrs = new TreeMap<>();
    /** Known mtime in nanoseconds, or null where the model does not determine it. */
    Long mtime;
    /** Whether the object has been copied up or made in upper. */
    boolean upper;
  }

  static final class Dir extends Node {
    final TreeMap<String, Node> children = new TreeMap<>();
    /** The lower copies merged into this directory, topmost first (empty: pure upper). */
    List<Copy> stack = List.of();
    Dir parent;
    String name;
    /** Expected {@code trusted.overlay.opaque="y"} on the upper copy. */
    boolean opaque;
    /** Names with a whiteout in this directory's upper copy. */
    final TreeSet<String> whiteouts = new TreeSet<>();
    long id;
  }

  static final class NonDir extends Node {
    byte[] data = new byte[0];
    String target;
    int rdevMajor;
    int rdevMinor;
    /** The lower object this name shows (or was copied up from); null for objects made in upper. */
    LowerObj lower;
    long upperId;
  }

  /** A path error (ENOENT, ENOTDIR, ELOOP ...) found while resolving. */
  static final class Fail extends Exception {
    private static final long serialVersionUID = 1L;
    final String errno;

    Fail(String errno) {
      super(errno, null, false, false);
      this.errno = errno;
    }
  }

  record Resolved(Dir parent, String name, Node node) {}

  private final List<LayerTree> layers;
  private final Options options;
  private final Dir root;
  private final int callerUid;
  private final int callerGid;
  private long nextId = 1;

  /**
   * The merged view of {@code lowers} (topmost first) over an empty upper directory whose root
   * has {@code rootAttrs}; new objects are made by {@code callerUid}/{@code callerGid}.
   */
  public Model(List<LayerTree> lowers, Options options, RootAttrs rootAttrs, int callerUid,
      int callerGid) {
    this.layers = List.copyOf(lowers);
    this.options = options;
    this.callerUid = callerUid;
    this.callerGid = callerGid;
    Map<LayerTree.Entry, LowerObj> objs = new IdentityHashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      LayerTree t = layers.get(i);
      Map<LayerTree.Entry, String> first = t.firstPaths();
      for (Map.Entry<LayerTree.Entry, String> e : first.entrySet()) {
        objs.put(e.getKey(), new LowerObj("L" + i + ":" + e.getValue(), t.nlink(e.getKey())));
      }
    }
    root = new Dir();
    root.type = Type.DIR;
    root.mode = rootAttrs.mode();
    root.uid = rootAttrs.uid();
    root.gid = rootAttrs.gid();
    root.upper = true;
    root.name = "";
    List<Copy> stack = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      stack.add(new Copy(i, ""));
      if (layers.get(i).get("").isOpaque()) {
        break;
      }
    }
    root.stack = List.copyOf(stack);
    populate(root, objs);
  }

  // ---- the union of the lower layers (namei.c) ----

  private void populate(Dir d, Map<LayerTree.Entry, LowerObj> objs) {
    TreeSet<String> names = new TreeSet<>();
    for (Copy c : d.stack) {
      names.addAll(layers.get(c.layer()).children(c.path()));
    }
    for (String name : names) {
      // Lookup: the first non-directory wins and hides what is below; directories merge
      // until a whiteout, a non-directory or an opaque directory ends the descent.
      List<Copy> dirs = new ArrayList<>();
      NonDir found = null;
      for (Copy c : d.stack) {
        String p = LayerTree.child(c.path(), name);
        LayerTree.Entry e = layers.get(c.layer()).get(p);
        if (e == null) {
          continue;
        }
        if (e.isWhiteout()) {
          break;
        }
        if (e.kind != LayerTree.Kind.DIR) {
          if (dirs.isEmpty()) {
            found = nonDirOf(e, objs.get(e));
          }
          break;
        }
        dirs.add(new Copy(c.layer(), p));
        if (e.isOpaque()) {
          break;
        }
      }
      if (found != null) {
        d.children.put(name, found);
      } else if (!dirs.isEmpty()) {
        LayerTree.Entry top = layers.get(dirs.get(0).layer()).get(dirs.get(0).path());
        Dir sub = new Dir();
        sub.type = Type.DIR;
        sub.mode = top.mode;
        sub.uid = top.uid;
        sub.gid = top.gid;
        sub.xattrs = visibleXattrs(top.xattrs);
        sub.mtime = top.mtimeNanos;
        sub.stack = List.copyOf(dirs);
        sub.parent = d;
        sub.name = name;
        sub.id = nextId++;
        d.children.put(name, sub);
        populate(sub, objs);
      }
    }
  }

  private static NonDir nonDirOf(LayerTree.Entry e, LowerObj obj) {
    NonDir n = new NonDir();
    n.type = switch (e.kind) {
      case FILE -> Type.FILE;
      case SYMLINK -> Type.SYMLINK;
      case FIFO -> Type.FIFO;
      case CHAR -> Type.CHAR;
      default -> throw new IllegalArgumentException(e.kind.toString());
    };
    n.mode = e.kind == LayerTree.Kind.SYMLINK ? 0777 : e.mode;
    n.uid = e.uid;
    n.gid = e.gid;
    n.data = e.data.clone();
    n.target = e.target;
    n.rdevMajor = e.rdevMajor;
    n.rdevMinor = e.rdevMinor;
    n.xattrs = visibleXattrs(e.xattrs);
    n.mtime = e.mtimeNanos;
    n.lower = obj;
    return n;
  }

  /**
   * The xattrs the merged view shows of stored ones: {@code trusted.overlay.*} is private, except
   * the escaped {@code trusted.overlay.overlay.X}, which shows as {@code trusted.overlay.X}.
   */
  static TreeMap<String, byte[]> visibleXattrs(Map<String, byte[]> stored) {
    TreeMap<String, byte[]> out = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : stored.entrySet()) {
      String v = visibleName(e.getKey());
      if (v != null) {
        out.put(v, e.getValue().clone());
      }
    }
    return out;
  }

  /** The name an xattr stored in a layer shows in the merged view, or null when private. */
  public static String visibleName(String stored) {
    if (stored.startsWith("trusted.overlay.overlay.")) {
      return "trusted.overlay." + stored.substring("trusted.overlay.overlay.".length());
    }
    return stored.startsWith("trusted.overlay.") ? null : stored;
  }

  /** Whether the topmost lower entry named {@code name} under {@code d}'s lower copies is real. */
  private boolean lowerPositive(Dir d, String name) {
    // ovl_lower_positive(): the first lower entry of that name decides: positive unless a
    // whiteout. Only the parent's lower stack is searched: pure upper directories have none.
    for (Copy c : d.stack) {
      LayerTree.Entry e = layers.get(c.layer()).get(LayerTree.child(c.path(), name));
      if (e != null) {
        return !e.isWhiteout();
      }
    }
    return false;
  }

  // ---- path resolution (namei) ----

  private static List<String> split(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty() && !s.equals(".")) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Resolves a path: every component but the last must be a directory (symlinks followed);
   * the last is followed when {@code followLast}. Returns the parent, the last name and the node
   * there (null when absent).
   */
  private Resolved resolve(String path, boolean followLast) throws Fail {
    Deque<String> comps = new ArrayDeque<>(split(path));
    if (comps.isEmpty()) {
      throw new IllegalArgumentException("empty path");
    }
    Dir dir = root;
    int links = 0;
    while (true) {
      String c = comps.pollFirst();
      if (c.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
        throw new Fail("ENAMETOOLONG");
      }
      boolean last = comps.isEmpty();
      Node n = dir.children.get(c);
      if (n == null) {
        if (last) {
          return new Resolved(dir, c, null);
        }
        throw new Fail("ENOENT");
      }
      if (n.type == Type.SYMLINK && (!last || followLast)) {
        if (++links > MAXSYMLINKS) {
          throw new Fail("ELOOP");
        }
        List<String> t = split(((NonDir) n).target);
        for (int i = t.size() - 1; i >= 0; i--) {
          comps.addFirst(t.get(i));
        }
        if (comps.isEmpty()) {
          throw new Fail("ENOENT");
        }
        continue;
      }
      if (last) {
        return new Resolved(dir, c, n);
      }
      if (!(n instanceof Dir d)) {
        throw new Fail("ENOTDIR");
      }
      dir = d;
    }
  }

  /** The type of what {@code path} resolves to (following symlinks), or null. */
  public Type typeAt(String path, boolean follow) {
    try {
      Node n = resolve(path, follow).node();
      return n == null ? null : n.type;
    } catch (Fail f) {
      return null;
    }
  }

  // ---- copy-up ----

  private void copyUpDir(Dir d) {
    if (d.upper) {
      return;
    }
    copyUpDir(d.parent);
    d.upper = true; // the directory alone, attributes and times kept
  }

  private void copyUp(Resolved r) {
    copyUpDir(r.parent());
    if (r.node() instanceof Dir d) {
      copyUpDir(d);
    } else {
      NonDir n = (NonDir) r.node();
      if (!n.upper) {
        n.upper = true;
        n.upperId = nextId++;
      }
    }
  }

  // ---- operations ----

  /** Applies {@code op} and returns what the kernel returns for it. */
  public Outcome apply(Op op) {
    for (String p : paths(op)) {
      if (p.getBytes(StandardCharsets.UTF_8).length + 1 >= PATH_MAX) {
        return Outcome.fail("ENAMETOOLONG"); // getname(), before anything else
      }
    }
    try {
      if (op instanceof Op.Create o) {
        return create(o.path(), Type.FILE, o.mode(), Op.bytes(o.data()), null);
      } else if (op instanceof Op.Mkfifo o) {
        return create(o.path(), Type.FIFO, o.mode(), new byte[0], null);
      } else if (op instanceof Op.Symlink o) {
        return create(o.path(), Type.SYMLINK, 0777, new byte[0], o.target());
      } else if (op instanceof Op.Mkdir o) {
        return mkdir(o.path(), o.mode());
      } else if (op instanceof Op.Write o) {
        return write(o);
      } else if (op instanceof Op.Truncate o) {
        return truncate(o.path(), o.size());
      } else if (op instanceof Op.Rmdir o) {
        return remove(o.path(), true);
      } else if (op instanceof Op.Unlink o) {
        return remove(o.path(), false);
      } else if (op instanceof Op.Rename o) {
        return rename(o.from(), o.to(), o.flags());
      } else if (op instanceof Op.Link o) {
        return link(o.existing(), o.path());
      } else if (op instanceof Op.Chmod o) {
        return chmod(o.path(), o.mode());
      } else if (op instanceof Op.Chown o) {
        return chown(o.path(), o.uid(), o.gid());
      } else if (op instanceof Op.SetMtime o) {
        return setMtime(o.path(), o.mtimeNanos());
      } else if (op instanceof Op.SetXattr o) {
        return setxattr(o.path(), o.name(), Op.bytes(o.value()), o.flags());
      } else if (op instanceof Op.RemoveXattr o) {
        return removexattr(o.path(), o.name());
      } else if (op instanceof Op.Remount) {
        return Outcome.OK;
      }
      throw new IllegalArgumentException(op.toString());
    } catch (Fail f) {
      return Outcome.fail(f.errno);
    }
  }

  private static List<String> paths(Op op) {
    if (op instanceof Op.Rename o) {
      return List.of(o.from(), o.to());
    } else if (op instanceof Op.Link o) {
      return List.of(o.existing(), o.path());
    } else if (op instanceof Op.Remount) {
      return List.of();
    }
    try {
      return List.of((String) op.getClass().getMethod("path").invoke(op));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private Outcome create(String path, Type type, int mode, byte[] data, String target)
      throws Fail {
    Resolved r = resolve(path, false); // O_EXCL, mknod, symlink: the last name is not followed
    if (r.node() != null) {
      return Outcome.fail("EEXIST");
    }
    NonDir n = new NonDir();
    n.type = type;
    n.mode = mode;
    n.data = data;
    n.target = target;
    n.upper = true;
    n.upperId = nextId++;
    owner(n, r.parent());
    insertNew(r.parent(), r.name(), n);
    return Outcome.OK;
  }

  /** inode_init_owner(): the caller's ids, the group of a set-gid parent (and its bit for dirs). */
  private void owner(Node n, Dir parent) {
    n.uid = callerUid;
    n.gid = callerGid;
    if ((parent.mode & S_ISGID) != 0) {
      n.gid = parent.gid;
      if (n.type == Type.DIR) {
        n.mode |= S_ISGID;
      }
    }
  }

  private void insertNew(Dir parent, String name, Node n) {
    copyUpDir(parent);
    parent.whiteouts.remove(name); // made over a whiteout: the new object replaces it
    parent.children.put(name, n);
    parent.mtime = null;
  }

  private Outcome mkdir(String path, int mode) throws Fail {
    Resolved r = resolve(path, false);
    if (r.node() != null) {
      return Outcome.fail("EEXIST");
    }
    Dir d = new Dir();
    d.type = Type.DIR;
    d.mode = mode;
    d.upper = true;
    d.id = nextId++;
    d.parent = r.parent();
    d.name = r.name();
    owner(d, r.parent());
    // Over an upper whiteout the new directory is opaque (ovl_create_over_whiteout); with
    // redirect_dir=on every new directory in a merged parent is.
    d.opaque = r.parent().whiteouts.contains(r.name())
        || options.redirectDir() && !r.parent().stack.isEmpty();
    insertNew(r.parent(), r.name(), d);
    return Outcome.OK;
  }

  private Outcome write(Op.Write o) throws Fail {
    Resolved r = resolve(o.path(), true);
    if (r.node() == null) {
      return Outcome.fail("ENOENT");
    }
    if (r.node() instanceof Dir) {
      return Outcome.fail("EISDIR");
    }
    NonDir n = (NonDir) r.node();
    if (n.type != Type.FILE) {
      return Outcome.fail("ENXIO"); // O_NONBLOCK open of a fifo without reader; never generated
    }
    copyUp(r); // open for writing copies up, even before anything is written
    byte[] d = Op.bytes(o.data());
    switch (o.mode()) {
      case TRUNCATE -> n.data = d;
      case APPEND -> {
        byte[] out = Arrays.copyOf(n.data, n.data.length + d.length);
        System.arraycopy(d, 0, out, n.data.length, d.length);
        n.data = out;
      }
      case OVERWRITE -> {
        byte[] out = Arrays.copyOf(n.data, Math.max(n.data.length, d.length));
        System.arraycopy(d, 0, out, 0, d.length);
        n.data = out;
      }
    }
    n.mtime = null;
    return Outcome.OK;
  }

  private Outcome truncate(String path, long size) throws Fail {
    Resolved r = resolve(path, true);
    if (r.node() == null) {
      return Outcome.fail("ENOENT");
    }
    if (r.node() instanceof Dir) {
      return Outcome.fail("EISDIR");
    }
    NonDir n = (NonDir) r.node();
    if (n.type != Type.FILE) {
      return Outcome.fail("EINVAL");
    }
    copyUp(r);
    n.data = Arrays.copyOf(n.data, (int) size);
    n.mtime = null;
    return Outcome.OK;
  }

  private Outcome remove(String path, boolean dir) throws Fail {
    Resolved r = resolve(path, false);
    if (r.node() == null) {
      return Outcome.fail("ENOENT");
    }
    boolean isDir = r.node() instanceof Dir;
    if (dir && !isDir) {
      return Outcome.fail("ENOTDIR");
    }
    if (!dir && isDir) {
      return Outcome.fail("EISDIR");
    }
    if (isDir && !emptyForRemoval((Dir) r.node())) {
      return Outcome.fail("ENOTEMPTY");
    }
    detach(r.parent(), r.name());
    return Outcome.OK;
  }

  /**
   * ovl_check_empty_dir(): no entry in the merged view, and no xattr whiteout of a lower copy
   * on top of its name either — the kernel's emptiness check does not resolve xattr whiteouts
   * (readdir does), so a directory holding one cannot be removed.
   */
  private boolean emptyForRemoval(Dir d) {
    if (!d.children.isEmpty()) {
      return false;
    }
    TreeSet<String> decided = new TreeSet<>(d.whiteouts);
    for (Copy c : d.stack) {
      LayerTree t = layers.get(c.layer());
      for (String name : t.children(c.path())) {
        if (decided.add(name)
            && t.get(LayerTree.child(c.path(), name)).kind == LayerTree.Kind.XATTR_WHITEOUT) {
          return false;
        }
      }
    }
    return true;
  }

  /** Removes a name: its parent is copied up; a whiteout stays where a lower layer has it. */
  private void detach(Dir parent, String name) {
    copyUpDir(parent);
    parent.children.remove(name);
    if (lowerPositive(parent, name)) {
      parent.whiteouts.add(name);
    }
    parent.mtime = null;
  }

  private Outcome link(String existing, String path) throws Fail {
    Resolved from = resolve(existing, false);
    if (from.node() == null) {
      return Outcome.fail("ENOENT");
    }
    Resolved to = resolve(path, false);
    if (to.node() != null) {
      return Outcome.fail("EEXIST");
    }
    if (from.node() instanceof Dir) {
      return Outcome.fail("EPERM");
    }
    copyUp(from); // the source is copied up, then linked in upper
    insertNew(to.parent(), to.name(), from.node());
    return Outcome.OK;
  }

  private static boolean isAncestorOrSelf(Dir a, Dir d) {
    for (Dir x = d; x != null; x = x.parent) {
      if (x == a) {
        return true;
      }
    }
    return false;
  }

  /** ovl_can_move(): a directory with lower copies moves only with redirect_dir=on. */
  private boolean canMove(Node n) {
    return options.redirectDir() || !(n instanceof Dir d) || d.stack.isEmpty();
  }

  private Outcome rename(String from, String to, int flags) throws Fail {
    // do_renameat2(): flag checks, both parents resolved, then the source, then the target.
    if ((flags & ~(Op.RENAME_NOREPLACE | Op.RENAME_EXCHANGE | Op.RENAME_WHITEOUT)) != 0
        || (flags & (Op.RENAME_NOREPLACE | Op.RENAME_WHITEOUT)) != 0
        && (flags & Op.RENAME_EXCHANGE) != 0) {
      return Outcome.fail("EINVAL");
    }
    Resolved src = resolve(from, false);
    Resolved dst = resolve(to, false);
    if (src.node() == null) {
      return Outcome.fail("ENOENT");
    }
    boolean exchange = (flags & Op.RENAME_EXCHANGE) != 0;
    if ((flags & Op.RENAME_NOREPLACE) != 0 && dst.node() != null) {
      return Outcome.fail("EEXIST");
    }
    if (exchange && dst.node() == null) {
      return Outcome.fail("ENOENT");
    }
    if (src.parent() != dst.parent()) {
      // lock_rename()'s trap: the source may not be an ancestor of the target, nor the target
      // one of the source.
      if (src.node() instanceof Dir sd && isAncestorOrSelf(sd, dst.parent())) {
        return Outcome.fail("EINVAL");
      }
      if (dst.node() instanceof Dir td && isAncestorOrSelf(td, src.parent())) {
        return Outcome.fail(exchange ? "EINVAL" : "ENOTEMPTY");
      }
    }
    if (src.node() == dst.node()) {
      return Outcome.OK; // vfs_rename(): the same inode, nothing to do
    }
    boolean srcDir = src.node() instanceof Dir;
    if (dst.node() != null && !exchange) {
      boolean dstDir = dst.node() instanceof Dir;
      if (srcDir && !dstDir) {
        return Outcome.fail("ENOTDIR");
      }
      if (!srcDir && dstDir) {
        return Outcome.fail("EISDIR");
      }
    }
    // ovl_rename(): RENAME_WHITEOUT is refused, directories with lower copies are not moved.
    if ((flags & Op.RENAME_WHITEOUT) != 0) {
      return Outcome.fail("EINVAL");
    }
    if (!canMove(src.node()) || exchange && !canMove(dst.node())) {
      return Outcome.fail("EXDEV");
    }
    if (!exchange && dst.node() instanceof Dir td && !td.stack.isEmpty()
        && !emptyForRemoval(td)) {
      return Outcome.fail("ENOTEMPTY"); // ovl_check_empty_dir(), before any copy-up
    }
    if (!exchange && dst.node() instanceof Dir td && !td.children.isEmpty()) {
      // A pure upper target: the upper rename fails, after the copy-ups and after the moved
      // directory got its opaque mark.
      copyUp(src);
      copyUpDir(dst.parent());
      if (src.node() instanceof Dir sd && sd.stack.isEmpty() && !sd.opaque
          && !dst.parent().stack.isEmpty()) {
        sd.opaque = true;
      }
      return Outcome.fail("ENOTEMPTY");
    }
    copyUp(src);
    copyUpDir(dst.parent());
    Node moving = src.node();
    if (exchange) {
      copyUp(dst);
      Node other = dst.node();
      src.parent().children.put(src.name(), other);
      dst.parent().children.put(dst.name(), moving);
      moved(other, src.parent(), src.name());
      moved(moving, dst.parent(), dst.name());
    } else {
      src.parent().children.remove(src.name());
      dst.parent().whiteouts.remove(dst.name());
      dst.parent().children.put(dst.name(), moving);
      if (lowerPositive(src.parent(), src.name())) {
        src.parent().whiteouts.add(src.name());
      }
      moved(moving, dst.parent(), dst.name());
    }
    src.parent().mtime = null;
    dst.parent().mtime = null;
    return Outcome.OK;
  }

  private void moved(Node n, Dir newParent, String newName) {
    if (n instanceof Dir d) {
      d.parent = newParent;
      d.name = newName;
      d.mtime = null;
      // A pure upper directory moved into a merged parent is made opaque; one with lower
      // copies (redirect_dir=on) gets a redirect instead.
      if (d.stack.isEmpty() && !d.opaque && !newParent.stack.isEmpty()) {
        d.opaque = true;
      }
    }
  }

  private Outcome chmod(String path, int mode) throws Fail {
    Resolved r = resolve(path, true);
    if (r.node() == null) {
      return Outcome.fail("ENOENT");
    }
    copyUp(r);
    r.node().mode = mode & 07777;
    return Outcome.OK;
  }

  private Outcome chown(String path, int uid, int gid) throws Fail {
    Resolved r = resolve(path, false);
    if (r.node() == null) {
      return Outcome.fail("ENOENT");
    }
    copyUp(r);
    Node n = r.node();
    n.uid = uid;
    n.gid = gid;
    if (n.type != Type.DIR && n.type != Type.SYMLINK) {
      // chown_common(): set-uid always dropped on non-directories, set-gid with group exec.
      n.mode &= ~S_ISUID;
      if ((n.mode & S_IXGRP) != 0) {
        n.mode &= ~S_ISGID;
      }
    }
    return Outcome.OK;
  }

  private Outcome setMtime(String path, long mtime) throws Fail {
    Resolved r = resolve(path, false);
    if (r.node() == null) {
      return Outcome.fail("ENOENT");
    }
    copyUp(r);
    r.node().mtime = mtime;
    return Outcome.OK;
  }

  private static boolean userXattrAllowed(Node n, String name) {
    return !name.startsWith("user.") || n.type == Type.FILE || n.type == Type.DIR;
  }

  private Outcome setxattr(String path, String name, byte[] value, int flags) throws Fail {
    Resolved r = resolve(path, false);
    if (r.node() == null) {
      return Outcome.fail("ENOENT");
    }
    if (!userXattrAllowed(r.node(), name)) {
      return Outcome.fail("EPERM"); // xattr_permission(), before the overlay sees it
    }
    // ovl_xattr_set(): copy up first, then the upper file system decides CREATE/REPLACE.
    copyUp(r);
    boolean exists = r.node().xattrs.containsKey(name);
    if ((flags & Op.XATTR_CREATE) != 0 && exists) {
      return Outcome.fail("EEXIST");
    }
    if ((flags & Op.XATTR_REPLACE) != 0 && !exists) {
      return Outcome.fail("ENODATA");
    }
    r.node().xattrs.put(name, value.clone());
    return Outcome.OK;
  }

  private Outcome removexattr(String path, String name) throws Fail {
    Resolved r = resolve(path, false);
    if (r.node() == null) {
      return Outcome.fail("ENOENT");
    }
    if (!userXattrAllowed(r.node(), name)) {
      return Outcome.fail("EPERM");
    }
    if (!r.node().xattrs.containsKey(name)) {
      return Outcome.fail("ENODATA"); // checked on the lower copy: no copy-up
    }
    copyUp(r);
    r.node().xattrs.remove(name);
    return Outcome.OK;
  }

  // ---- what the merged view and upper must look like ----

  private String inoKey(Node n) {
    if (n instanceof Dir d) {
      if (d == root) {
        return "root";
      }
      return d.stack.isEmpty() ? "U" + d.id : "L" + d.stack.get(0).layer() + ":"
          + d.stack.get(0).path();
    }
    NonDir f = (NonDir) n;
    if (!f.upper) {
      return f.lower.key();
    }
    // ovl_getattr(): a copied-up non-directory keeps its lower st_ino unless the lower had
    // more links (index=off breaks the link on copy-up, so it is a new file).
    return f.lower != null && f.lower.nlink() == 1 ? f.lower.key() : "U" + f.upperId;
  }

  /** One path of the expected merged view: its snapshot entry and its inode identity. */
  public record Expected(TreeSnapshot.Entry entry, String inoKey, Long mtimeNanos) {}

  /** The merged view: every path (relative, "" the root) with what a snapshot must show. */
  public SortedMap<String, Expected> merged() {
    Map<NonDir, Integer> names = new IdentityHashMap<>();
    countNames(root, names);
    SortedMap<String, Expected> out = new TreeMap<>();
    render(root, "", names, out);
    return out;
  }

  private static void countNames(Dir d, Map<NonDir, Integer> names) {
    for (Node n : d.children.values()) {
      if (n instanceof Dir sub) {
        countNames(sub, names);
      } else {
        names.merge((NonDir) n, 1, Integer::sum);
      }
    }
  }

  private void render(Node n, String path, Map<NonDir, Integer> names,
      SortedMap<String, Expected> out) {
    TreeSnapshot.Type type = switch (n.type) {
      case FILE -> TreeSnapshot.Type.REGULAR;
      case DIR -> TreeSnapshot.Type.DIRECTORY;
      case SYMLINK -> TreeSnapshot.Type.SYMLINK;
      case FIFO -> TreeSnapshot.Type.FIFO;
      case CHAR -> TreeSnapshot.Type.CHAR_DEVICE;
    };
    SortedMap<String, String> xattrs = new TreeMap<>();
    n.xattrs.forEach((k, v) -> xattrs.put(k, HexFormat.of().formatHex(v)));
    long size = -1;
    String sha = null;
    String target = null;
    long rdev = -1;
    int nlink = -1;
    if (n instanceof NonDir f) {
      nlink = f.upper ? names.getOrDefault(f, 1) : f.lower.nlink();
      switch (f.type) {
        case FILE -> {
          size = f.data.length;
          sha = sha256(f.data);
        }
        case SYMLINK -> {
          target = f.target;
          size = f.target.getBytes(StandardCharsets.UTF_8).length;
        }
        case CHAR -> rdev = makedev(f.rdevMajor, f.rdevMinor);
        default -> { }
      }
    }
    out.put(path, new Expected(new TreeSnapshot.Entry(type, n.mode, n.uid, n.gid, size, sha,
        target, rdev, -1, nlink, xattrs, -1, -1, null), inoKey(n), n.mtime));
    if (n instanceof Dir d) {
      for (Map.Entry<String, Node> c : d.children.entrySet()) {
        render(c.getValue(), LayerTree.child(path, c.getKey()), names, out);
      }
      // A directory with one copy, in a lower layer, is listed unfiltered: its whiteouts show
      // as names that cannot be looked up.
      if (!d.upper && d.stack.size() == 1) {
        Copy c = d.stack.get(0);
        LayerTree t = layers.get(c.layer());
        for (String name : t.children(c.path())) {
          if (t.get(LayerTree.child(c.path(), name)).isWhiteout()
              && !d.children.containsKey(name)) {
            out.put(LayerTree.child(path, name), new Expected(TreeSnapshot.Entry.listedOnly(
                TreeSnapshot.Type.LISTED_NOT_FOUND, null), null, null));
          }
        }
      }
    }
  }

  /** What the upper directory must hold at a path. */
  public enum UpperKind { DIR, OPAQUE_DIR, FILE, SYMLINK, FIFO, CHAR, WHITEOUT }

  /** The upper directory as the kernel would have written it: path to kind. */
  public SortedMap<String, UpperKind> upper() {
    SortedMap<String, UpperKind> out = new TreeMap<>();
    upper(root, "", out);
    return out;
  }

  private void upper(Node n, String path, SortedMap<String, UpperKind> out) {
    if (!n.upper) {
      return;
    }
    if (n instanceof Dir d) {
      out.put(path, d.opaque ? UpperKind.OPAQUE_DIR : UpperKind.DIR);
      for (String w : d.whiteouts) {
        out.put(LayerTree.child(path, w), UpperKind.WHITEOUT);
      }
      for (Map.Entry<String, Node> c : d.children.entrySet()) {
        upper(c.getValue(), LayerTree.child(path, c.getKey()), out);
      }
    } else {
      out.put(path, switch (n.type) {
        case FILE -> UpperKind.FILE;
        case SYMLINK -> UpperKind.SYMLINK;
        case FIFO -> UpperKind.FIFO;
        case CHAR -> UpperKind.CHAR;
        case DIR -> throw new AssertionError();
      });
    }
  }

  public Options options() {
    return options;
  }

  public List<LayerTree> layers() {
    return layers;
  }

  /** Linux's dev_t encoding of a major and minor number. */
  public static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
        | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
