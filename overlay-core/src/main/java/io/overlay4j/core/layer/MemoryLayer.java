package io.overlay4j.core.layer;

import io.overlay4j.core.Errno;
import io.overlay4j.core.FileType;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.Stat;
import io.overlay4j.core.StatFs;
import io.overlay4j.core.format.OriginHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A layer held in memory: for embedding and for fast tests. It behaves like a host directory on
 * one file system: every memory layer reports the same {@code st_dev} and inode numbers unique
 * across all of them, so an overlay of memory layers has the kernel's same-filesystem inode
 * semantics. Any xattr namespace is accepted, so layers are written in the kernel's format.
 *
 * <p>One lock per layer: every call is atomic with respect to the others.
 */
public final class MemoryLayer implements WritableLayer {
  /** The device number every memory layer reports. */
  public static final long DEVICE = 0x4f4a_0000L;
  private static final AtomicLong NEXT_INODE = new AtomicLong(2);
  private static final byte[] UUID = "overlay4j-memory".getBytes(StandardCharsets.US_ASCII);
  private static final int ORIGIN_TYPE = 0x4f;

  private final String name;
  private final Node root;
  private final Map<Long, Node> byInode = new java.util.HashMap<>();
  private final long capacityBytes;

  /** A layer with an empty root directory (mode 0755, owned by root). */
  public MemoryLayer(String name) {
    this(name, Long.MAX_VALUE / 2);
  }

  /** A layer that refuses writes beyond {@code capacityBytes} of file data with ENOSPC. */
  public MemoryLayer(String name, long capacityBytes) {
    this.name = "memory:" + name;
    this.capacityBytes = capacityBytes;
    this.root = newNode(FileType.DIRECTORY, 0755, 0);
  }

  @Override
  public String name() {
    return name;
  }

  // ---- reading ----

  @Override
  public synchronized Stat stat(String path) throws IOException {
    Node n = find(path);
    return n == null ? null : n.stat();
  }

  @Override
  public synchronized List<Entry> entries(String path) throws IOException {
    List<Entry> out = new ArrayList<>();
    dir(path).children.forEach((name, node) -> out.add(new Entry(name, node.type)));
    return out;
  }

  @Override
  public synchronized byte[] getXattr(String path, String attr) throws IOException {
    byte[] v = existing(path).xattrs.get(attr);
    return v == null ? null : v.clone();
  }

  @Override
  public synchronized List<String> listXattrs(String path) throws IOException {
    return new ArrayList<>(existing(path).xattrs.keySet());
  }

  @Override
  public synchronized String readLink(String path) throws IOException {
    Node n = existing(path);
    if (n.type != FileType.SYMLINK) {
      throw new OverlayException(Errno.EINVAL, path, "not a symbolic link");
    }
    return n.target;
  }

  @Override
  public synchronized LayerFile open(String path, boolean write) throws IOException {
    Node n = existing(path);
    if (n.type == FileType.DIRECTORY) {
      throw new OverlayException(Errno.EISDIR, path);
    }
    if (n.type != FileType.REGULAR) {
      throw new OverlayException(Errno.ENXIO, path, "not a regular file");
    }
    return new MemoryFile(n, write);
  }

  @Override
  public synchronized StatFs statFs() {
    long used = 0;
    for (Node n : byInode.values()) {
      used += n.size;
    }
    long blocks = Math.min(capacityBytes, Long.MAX_VALUE / 2) / 4096;
    long free = Math.max(0, blocks - used / 4096);
    return new StatFs(4096, 4096, blocks, free, free, 1L << 32, (1L << 32) - byInode.size(), 255,
        0x858458f6L);
  }

  @Override
  public synchronized Stat statOfOrigin(byte[] origin) {
    OriginHandle h = OriginHandle.decode(origin);
    if (h == null || h.type() != ORIGIN_TYPE || !Arrays.equals(h.uuid(), UUID)
        || h.fid().length != 8) {
      return null;
    }
    Node n = byInode.get(ByteBuffer.wrap(h.fid()).getLong());
    return n == null ? null : n.stat();
  }

  @Override
  public synchronized byte[] originOf(String path) throws IOException {
    long ino = existing(path).ino;
    return new OriginHandle(ORIGIN_TYPE, UUID, ByteBuffer.allocate(8).putLong(ino).array()).encode();
  }

  // ---- writing ----

  @Override
  public synchronized void mkdir(String path, int mode) throws IOException {
    insert(path, newNode(FileType.DIRECTORY, mode, 0));
  }

  @Override
  public synchronized void createFile(String path, int mode) throws IOException {
    insert(path, newNode(FileType.REGULAR, mode, 0));
  }

  @Override
  public synchronized void mknod(String path, FileType type, int mode, long rdev)
      throws IOException {
    if (type == FileType.DIRECTORY || type == FileType.SYMLINK) {
      throw new OverlayException(Errno.EINVAL, path, "mknod of a " + type);
    }
    insert(path, newNode(type, mode, rdev));
  }

  @Override
  public synchronized void symlink(String path, String target) throws IOException {
    Node n = newNode(FileType.SYMLINK, 0777, 0);
    n.target = target;
    n.size = target.getBytes(StandardCharsets.UTF_8).length;
    insert(path, n);
  }

  @Override
  public synchronized void link(String existing, String newPath) throws IOException {
    Node n = existing(existing);
    if (n.type == FileType.DIRECTORY) {
      throw new OverlayException(Errno.EPERM, existing, "hard link of a directory");
    }
    insert(newPath, n);
    n.ctime = now();
  }

  @Override
  public synchronized void unlink(String path) throws IOException {
    Node n = existing(path);
    if (n.type == FileType.DIRECTORY) {
      throw new OverlayException(Errno.EISDIR, path);
    }
    remove(path, n);
  }

  @Override
  public synchronized void rmdir(String path) throws IOException {
    Node n = existing(path);
    if (n.type != FileType.DIRECTORY) {
      throw new OverlayException(Errno.ENOTDIR, path);
    }
    if (n == root) {
      throw new OverlayException(Errno.EBUSY, path, "the layer root");
    }
    if (!n.children.isEmpty()) {
      throw new OverlayException(Errno.ENOTEMPTY, path);
    }
    remove(path, n);
  }

  @Override
  public void renameFrom(WritableLayer source, String from, String to, int flags)
      throws IOException {
    if (source == this) {
      rename(from, to, flags);
      return;
    }
    if (!(source instanceof MemoryLayer other)) {
      throw new OverlayException(Errno.EXDEV, to, "rename from " + source.name());
    }
    // Lock both trees in a fixed order; the move is atomic for readers of either.
    MemoryLayer first = System.identityHashCode(this) < System.identityHashCode(other) ? this : other;
    MemoryLayer second = first == this ? other : this;
    synchronized (first) {
      synchronized (second) {
        if ((flags & RENAME_EXCHANGE) != 0) {
          Node mine = existing(to);
          Node theirs = other.existing(from);
          dir(Layer.parent(to)).children.put(Layer.fileName(to), theirs);
          other.dir(Layer.parent(from)).children.put(Layer.fileName(from), mine);
          other.adopt(mine, theirs);
          adopt(theirs, mine);
          return;
        }
        Node n = other.existing(from);
        Node dst = find(to);
        if (dst != null && (flags & RENAME_NOREPLACE) != 0) {
          throw new OverlayException(Errno.EEXIST, to);
        }
        if (dst != null) {
          checkReplace(n, dst, to);
          remove(to, dst);
        }
        other.dir(Layer.parent(from)).children.remove(Layer.fileName(from));
        other.forget(n);
        dir(Layer.parent(to)).children.put(Layer.fileName(to), n);
        adopt(n, null);
      }
    }
  }

  /** Takes a subtree moved in from another memory layer into this one's inode table. */
  private void adopt(Node n, Node leaving) {
    if (leaving != null) {
      forget(leaving);
    }
    byInode.put(n.ino, n);
    if (n.children != null) {
      for (Node c : n.children.values()) {
        adopt(c, null);
      }
    }
  }

  private void forget(Node n) {
    byInode.remove(n.ino);
    if (n.children != null) {
      for (Node c : n.children.values()) {
        forget(c);
      }
    }
  }

  private static void checkReplace(Node src, Node dst, String to) throws IOException {
    if (src.type == FileType.DIRECTORY) {
      if (dst.type != FileType.DIRECTORY) {
        throw new OverlayException(Errno.ENOTDIR, to);
      }
      if (!dst.children.isEmpty()) {
        throw new OverlayException(Errno.ENOTEMPTY, to);
      }
    } else if (dst.type == FileType.DIRECTORY) {
      throw new OverlayException(Errno.EISDIR, to);
    }
  }

  @Override
  public synchronized void rename(String from, String to, int flags) throws IOException {
    if ((flags & RENAME_WHITEOUT) != 0) {
      rename(from, to, flags & ~RENAME_WHITEOUT);
      makeWhiteout(from);
      return;
    }
    Node src = existing(from);
    Node dstParent = dir(Layer.parent(to));
    String dstName = Layer.fileName(to);
    Node dst = dstParent.children.get(dstName);
    if ((flags & RENAME_EXCHANGE) != 0) {
      if (dst == null) {
        throw new OverlayException(Errno.ENOENT, to);
      }
      Node srcParent = dir(Layer.parent(from));
      srcParent.children.put(Layer.fileName(from), dst);
      dstParent.children.put(dstName, src);
      touchDirs(srcParent, dstParent);
      return;
    }
    if (dst == src) {
      return;
    }
    if (dst != null) {
      if ((flags & RENAME_NOREPLACE) != 0) {
        throw new OverlayException(Errno.EEXIST, to);
      }
      checkReplace(src, dst, to);
    }
    if (src.type == FileType.DIRECTORY && (to + "/").startsWith(from + "/")) {
      throw new OverlayException(Errno.EINVAL, to, "a directory cannot move into itself");
    }
    if (dst != null) {
      remove(to, dst);
    }
    Node srcParent = dir(Layer.parent(from));
    srcParent.children.remove(Layer.fileName(from));
    dstParent.children.put(dstName, src);
    src.ctime = now();
    touchDirs(srcParent, dstParent);
  }

  @Override
  public synchronized void setXattr(String path, String attr, byte[] value) throws IOException {
    Node n = existing(path);
    n.xattrs.put(attr, value.clone());
    n.ctime = now();
  }

  @Override
  public synchronized void removeXattr(String path, String attr) throws IOException {
    Node n = existing(path);
    if (n.xattrs.remove(attr) == null) {
      throw new OverlayException(Errno.ENODATA, path, attr);
    }
    n.ctime = now();
  }

  @Override
  public synchronized void chmod(String path, int mode) throws IOException {
    Node n = existing(path);
    if (n.type != FileType.SYMLINK) {
      n.mode = mode & 07777;
    }
    n.ctime = now();
  }

  @Override
  public synchronized void chown(String path, int uid, int gid) throws IOException {
    Node n = existing(path);
    if (uid != -1) {
      n.uid = uid;
    }
    if (gid != -1) {
      n.gid = gid;
    }
    if (n.type != FileType.DIRECTORY && n.type != FileType.SYMLINK
        && (uid != -1 || gid != -1)) {
      // chown(2) clears set-user-ID, and set-group-ID where group execute makes it one, of
      // every non-directory (chown_common: fifos and devices too).
      n.mode &= (n.mode & 010) != 0 ? ~06000 : ~04000;
    }
    n.ctime = now();
  }

  @Override
  public synchronized void setTimes(String path, long atimeNanos, long mtimeNanos)
      throws IOException {
    Node n = existing(path);
    if (atimeNanos != -1) {
      n.atime = atimeNanos;
    }
    if (mtimeNanos != -1) {
      n.mtime = mtimeNanos;
    }
    n.ctime = now();
  }

  @Override
  public synchronized void makeWhiteout(String path) throws IOException {
    insert(path, newNode(FileType.CHAR_DEVICE, 0, 0));
  }

  @Override
  public void copyData(Layer from, String fromPath, String path, boolean sync) throws IOException {
    createFile(path, 0600);
    try (LayerFile in = from.open(fromPath, false); LayerFile out = open(path, true)) {
      LayerFile.copy(in, out);
    }
  }

  @Override
  public void syncDirectory(String path) {
    // Memory is as durable as it gets.
  }

  // ---- the tree ----

  private static final class Node {
    final long ino;
    FileType type;
    int mode;
    int uid;
    int gid;
    long rdev;
    int nlink;
    long size;
    byte[] data = new byte[0];
    String target;
    long atime;
    long mtime;
    long ctime;
    final Map<String, Node> children;
    final Map<String, byte[]> xattrs = new LinkedHashMap<>();

    Node(long ino, FileType type) {
      this.ino = ino;
      this.type = type;
      this.children = type == FileType.DIRECTORY ? new TreeMap<>() : null;
    }

    Stat stat() {
      int links = type == FileType.DIRECTORY ? 2 + subdirectories() : nlink;
      return new Stat(type, mode, ino, DEVICE, rdev, links, uid, gid, size, (size + 511) / 512,
          atime, mtime, ctime);
    }

    private int subdirectories() {
      int n = 0;
      for (Node c : children.values()) {
        n += c.type == FileType.DIRECTORY ? 1 : 0;
      }
      return n;
    }
  }

  private Node newNode(FileType type, int mode, long rdev) {
    Node n = new Node(NEXT_INODE.getAndIncrement(), type);
    n.mode = mode & 07777;
    n.rdev = rdev;
    long t = now();
    n.atime = t;
    n.mtime = t;
    n.ctime = t;
    return n;
  }

  private static long now() {
    java.time.Instant i = java.time.Instant.now();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  private Node find(String path) throws IOException {
    Node n = root;
    if (path.isEmpty()) {
      return n;
    }
    for (String part : path.split("/", -1)) {
      if (n.type != FileType.DIRECTORY) {
        throw new OverlayException(Errno.ENOTDIR, path);
      }
      n = n.children.get(part);
      if (n == null) {
        return null;
      }
    }
    return n;
  }

  private Node existing(String path) throws IOException {
    Node n = find(path);
    if (n == null) {
      throw new OverlayException(Errno.ENOENT, path);
    }
    return n;
  }

  private Node dir(String path) throws IOException {
    Node n = existing(path);
    if (n.type != FileType.DIRECTORY) {
      throw new OverlayException(Errno.ENOTDIR, path);
    }
    return n;
  }

  private void insert(String path, Node n) throws IOException {
    if (path.isEmpty()) {
      throw new OverlayException(Errno.EEXIST, path);
    }
    Node parent = dir(Layer.parent(path));
    String leaf = Layer.fileName(path);
    if (parent.children.containsKey(leaf)) {
      throw new OverlayException(Errno.EEXIST, path);
    }
    parent.children.put(leaf, n);
    n.nlink++;
    byInode.put(n.ino, n);
    touchDirs(parent, parent);
  }

  private void remove(String path, Node n) throws IOException {
    Node parent = dir(Layer.parent(path));
    parent.children.remove(Layer.fileName(path));
    if (--n.nlink == 0) {
      byInode.remove(n.ino);
    }
    n.ctime = now();
    touchDirs(parent, parent);
  }

  private static void touchDirs(Node a, Node b) {
    long t = now();
    a.mtime = t;
    a.ctime = t;
    b.mtime = t;
    b.ctime = t;
  }

  private final class MemoryFile implements LayerFile {
    private final Node node;
    private final boolean writable;

    MemoryFile(Node node, boolean writable) {
      this.node = node;
      this.writable = writable;
    }

    @Override
    public int read(ByteBuffer dst, long position) {
      synchronized (MemoryLayer.this) {
        if (position >= node.size) {
          return -1;
        }
        int n = (int) Math.min(dst.remaining(), node.size - position);
        dst.put(node.data, (int) position, n);
        node.atime = now();
        return n;
      }
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      synchronized (MemoryLayer.this) {
        requireWritable();
        int n = src.remaining();
        long end = position + n;
        ensureCapacity(end);
        src.get(node.data, (int) position, n);
        node.size = Math.max(node.size, end);
        node.mtime = now();
        node.ctime = node.mtime;
        return n;
      }
    }

    @Override
    public long size() {
      synchronized (MemoryLayer.this) {
        return node.size;
      }
    }

    @Override
    public void truncate(long size) throws IOException {
      synchronized (MemoryLayer.this) {
        requireWritable();
        ensureCapacity(size);
        if (size < node.size) {
          Arrays.fill(node.data, (int) size, (int) node.size, (byte) 0);
        }
        node.size = size;
        node.mtime = now();
        node.ctime = node.mtime;
      }
    }

    @Override
    public void sync(boolean metadata) {}

    @Override
    public void close() {}

    private void requireWritable() throws IOException {
      if (!writable) {
        throw new OverlayException(Errno.EBADF, null, "file not open for writing");
      }
    }

    private void ensureCapacity(long end) throws IOException {
      if (end > Integer.MAX_VALUE - 8) {
        throw new OverlayException(Errno.EFBIG, null, "memory files hold at most 2 GiB");
      }
      if (end > node.data.length) {
        long used = 0;
        for (Node n : byInode.values()) {
          used += n.data.length;
        }
        if (used - node.data.length + end > capacityBytes) {
          throw new OverlayException(Errno.ENOSPC, null, name + " is full");
        }
        node.data = Arrays.copyOf(node.data, (int) Math.max(end, Math.min(
            Integer.MAX_VALUE - 8L, node.data.length * 2L)));
      }
    }
  }
}
