package io.overlay4j.spec.conformance;

import io.overlay4j.core.DirEntry;
import io.overlay4j.core.FileType;
import io.overlay4j.core.Overlay;
import io.overlay4j.core.OverlayDirectory;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.OverlayFile;
import io.overlay4j.core.config.OverlayConfig;
import io.overlay4j.core.layer.MemoryLayer;
import io.overlay4j.spec.KernelOverlay;
import io.overlay4j.spec.Scratch;
import io.overlay4j.spec.TreeSnapshot;
import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.Model;
import io.overlay4j.spec.model.Op;
import io.overlay4j.spec.model.Outcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * overlay-core as a library: {@code core-memory} over {@link MemoryLayer}s built with
 * {@link Overlay#builder}, {@code core} over host directories opened with {@link Overlay#open}
 * exactly as {@code mount -t overlay} options would be. Operations go through the API by
 * absolute path; snapshots of the merged view through getattr/readdir/read/xattrs.
 */
class CoreTarget implements Target {
  // The layers, shared with NioTarget, which drives the same layers through java.nio.
  final boolean memory;
  final Model.Options options;
  // memory
  final List<MemoryLayer> memLowers = new ArrayList<>();
  MemoryLayer memUpper;
  MemoryLayer memWork;
  // host
  Scratch scratch;
  final List<Path> hostLowers = new ArrayList<>();
  Path upperDir;
  Path workDir;
  private Overlay overlay;

  CoreTarget(boolean memory, Model.Options options) {
    this.memory = memory;
    this.options = options;
  }

  static CoreTarget memory(List<LayerTree> lowers, Model.Options options) throws IOException {
    return setUpMemory(new CoreTarget(true, options), lowers);
  }

  /** Writes the lower layers into memory layers and opens the overlay. */
  static <T extends CoreTarget> T setUpMemory(T t, List<LayerTree> lowers) throws IOException {
    for (int i = 0; i < lowers.size(); i++) {
      t.memLowers.add(LayerWriter.toMemory(lowers.get(i), "l" + (i + 1)));
    }
    t.memUpper = new MemoryLayer("upper");
    t.memWork = new MemoryLayer("work");
    t.open();
    return t;
  }

  static CoreTarget host(List<LayerTree> lowers, Model.Options options) throws IOException {
    return setUpHost(new CoreTarget(false, options), lowers, "conf-core");
  }

  /** Writes the lower layers into host directories and opens the overlay. */
  static <T extends CoreTarget> T setUpHost(T t, List<LayerTree> lowers, String scratchName)
      throws IOException {
    t.scratch = Scratch.create(scratchName);
    try {
      for (int i = 0; i < lowers.size(); i++) {
        Path l = t.scratch.root().resolve("l" + (i + 1));
        LayerWriter.toHost(lowers.get(i), l);
        t.hostLowers.add(l);
      }
      t.upperDir = t.scratch.dir("upper");
      t.workDir = t.scratch.dir("work");
      t.open();
      return t;
    } catch (IOException | RuntimeException e) {
      t.scratch.close();
      throw e;
    }
  }

  /** Opens the overlay over the layers (again, for a remount). */
  void open() throws IOException {
    if (memory) {
      Overlay.Builder b = Overlay.builder();
      memLowers.forEach(b::lower);
      overlay = b.upper(memUpper, memWork).followRedirects(true)
          .createRedirects(options.redirectDir())
          .opaqueNewDirectories(options.redirectDir()).build();
    } else {
      String opts = KernelOverlay.options(hostLowers, upperDir, workDir)
          + (options.redirectDir() ? ",redirect_dir=on" : "");
      overlay = Overlay.open(OverlayConfig.parse(opts));
    }
  }

  @Override
  public String name() {
    return memory ? "core-memory" : "core";
  }

  private static String abs(String path) {
    return "/" + path;
  }

  @Override
  public Outcome apply(Op op) throws IOException {
    try {
      if (op instanceof Op.Create o) {
        try (OverlayFile f = overlay.create(abs(o.path()), o.mode(), -1, -1, true)) {
          f.write(ByteBuffer.wrap(o.data().getBytes(StandardCharsets.UTF_8)), 0);
        }
      } else if (op instanceof Op.Write o) {
        try (OverlayFile f = overlay.open(abs(o.path()), true,
            o.mode() == Op.WriteMode.TRUNCATE)) {
          long at = o.mode() == Op.WriteMode.APPEND ? f.size() : 0;
          f.write(ByteBuffer.wrap(o.data().getBytes(StandardCharsets.UTF_8)), at);
        }
      } else if (op instanceof Op.Truncate o) {
        overlay.truncate(abs(o.path()), o.size());
      } else if (op instanceof Op.Mkdir o) {
        overlay.mkdir(abs(o.path()), o.mode());
      } else if (op instanceof Op.Mkfifo o) {
        overlay.mknod(abs(o.path()), FileType.FIFO, o.mode(), 0, -1, -1);
      } else if (op instanceof Op.Symlink o) {
        overlay.symlink(o.target(), abs(o.path()), -1, -1);
      } else if (op instanceof Op.Rmdir o) {
        overlay.rmdir(abs(o.path()));
      } else if (op instanceof Op.Unlink o) {
        overlay.unlink(abs(o.path()));
      } else if (op instanceof Op.Rename o) {
        overlay.rename(abs(o.from()), abs(o.to()), o.flags());
      } else if (op instanceof Op.Link o) {
        overlay.link(abs(o.existing()), abs(o.path()));
      } else if (op instanceof Op.Chmod o) {
        overlay.chmod(abs(o.path()), o.mode());
      } else if (op instanceof Op.Chown o) {
        overlay.chown(abs(o.path()), o.uid(), o.gid());
      } else if (op instanceof Op.SetMtime o) {
        overlay.utimens(abs(o.path()), Overlay.OMIT, o.mtimeNanos());
      } else if (op instanceof Op.SetXattr o) {
        overlay.setxattr(abs(o.path()), o.name(), o.value().getBytes(StandardCharsets.UTF_8),
            o.flags());
      } else if (op instanceof Op.RemoveXattr o) {
        overlay.removexattr(abs(o.path()), o.name());
      } else if (op instanceof Op.Remount) {
        remount();
      } else {
        throw new IllegalArgumentException(op.toString());
      }
      return Outcome.OK;
    } catch (OverlayException e) {
      return Outcome.fail(e.errno().name());
    }
  }

  @Override
  public TreeSnapshot merged() throws IOException {
    return TreeSnapshot.ofOverlay(name(), overlay);
  }

  @Override
  public TreeSnapshot upper() throws IOException {
    return memory ? Snapshots.ofLayer("upper", memUpper) : Snapshots.ofHost("upper", upperDir);
  }

  @Override
  public List<TreeSnapshot> lowers() throws IOException {
    List<TreeSnapshot> out = new ArrayList<>();
    if (memory) {
      for (int i = 0; i < memLowers.size(); i++) {
        out.add(Snapshots.ofLayer("lower " + (i + 1), memLowers.get(i)));
      }
    } else {
      for (int i = 0; i < hostLowers.size(); i++) {
        out.add(Snapshots.ofHost("lower " + (i + 1), hostLowers.get(i)));
      }
    }
    return out;
  }

  /** A positional read: bytes read into the buffer from the position, or -1 at the end. */
  interface PositionalRead {
    int read(ByteBuffer dst, long position) throws IOException;
  }

  /** Everything a file holds, read from offset 0 through {@code in}. */
  static byte[] readAll(PositionalRead in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    long pos = 0;
    for (int n; (n = in.read(buf.clear(), pos)) > 0; ) {
      out.write(buf.array(), 0, n);
      pos += n;
    }
    return out.toByteArray();
  }

  @Override
  public List<String> workLeftovers() throws IOException {
    List<String> out = new ArrayList<>();
    if (memory) {
      for (String n : memWork.list("")) {
        var st = memWork.stat(n);
        boolean sharedWhiteout = n.matches("#[0-9a-f]+") && st != null
            && st.type() == io.overlay4j.core.FileType.CHAR_DEVICE && st.rdev() == 0;
        if (!sharedWhiteout) { // (kept as the kernel keeps its own: see isSharedWhiteout)
          out.add("work/" + n);
        }
      }
      return out;
    }
    return hostWorkLeftovers(workDir);
  }

  /** Everything in a work directory but an empty {@code work/} (and an empty {@code index/}). */
  static List<String> hostWorkLeftovers(Path workDir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(workDir)) {
      for (Path p : s.sorted().toList()) {
        String n = p.getFileName().toString();
        if ((n.equals("work") || n.equals("index"))
            && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          try (Stream<Path> inner = Files.list(p)) {
            for (Path q : inner.sorted().toList()) {
              if (!isSharedWhiteout(q)) {
                out.add(n + "/" + q.getFileName());
              }
            }
          }
        } else {
          out.add(n);
        }
      }
    }
    return out;
  }

  /**
   * The kernel keeps one whiteout in {@code work/work/} (a char 0/0 named {@code #hex}) that
   * every whiteout it makes is a hard link of; it stays there after unmount and is no leftover.
   */
  private static boolean isSharedWhiteout(Path p) throws IOException {
    if (!p.getFileName().toString().matches("#[0-9a-f]+")) {
      return false;
    }
    var a = Files.readAttributes(p, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
    return ((Integer) a.get("mode") & 0170000) == 0020000 && (Long) a.get("rdev") == 0;
  }

  @Override
  public Model.RootAttrs rootAttrs() throws IOException {
    if (memory) {
      io.overlay4j.core.Stat st = memUpper.stat("");
      return new Model.RootAttrs(st.mode(), st.uid(), st.gid());
    }
    var a = Files.readAttributes(upperDir, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
    return new Model.RootAttrs((Integer) a.get("mode") & 07777, (Integer) a.get("uid"),
        (Integer) a.get("gid"));
  }

  @Override
  public void remount() throws IOException {
    overlay.close();
    open();
  }

  @Override
  public void unmount() throws IOException {
    overlay.close();
  }

  @Override
  public FileHandle open(String path, boolean write) throws IOException {
    OverlayFile f;
    try {
      f = write ? overlay.open(abs(path), true, false) : overlay.openRead(abs(path));
    } catch (OverlayException e) {
      throw new TargetException(e.errno().name(), "open " + path);
    }
    return new FileHandle() {
      @Override
      public byte[] readAll() throws IOException {
        return CoreTarget.readAll(f::read);
      }

      @Override
      public Outcome write(byte[] data, long offset) throws IOException {
        try {
          f.write(ByteBuffer.wrap(data), offset);
          return Outcome.OK;
        } catch (OverlayException e) {
          return Outcome.fail(e.errno().name());
        }
      }

      @Override
      public void close() throws IOException {
        f.close();
      }
    };
  }

  @Override
  public DirHandle openDir(String path) throws IOException {
    OverlayDirectory d;
    try {
      d = overlay.opendir(abs(path));
    } catch (OverlayException e) {
      throw new TargetException(e.errno().name(), "opendir " + path);
    }
    return new DirHandle() {
      long offset;

      @Override
      public List<String> next() throws IOException {
        List<DirEntry> rest = d.read(offset);
        List<String> out = new ArrayList<>();
        for (DirEntry e : rest.subList(0, Math.min(2, rest.size()))) {
          out.add(e.name());
          offset++;
        }
        return out;
      }

      @Override
      public void rewind() {
        offset = 0; // the next read at offset 0 takes the listing again
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public long ino(String path) throws IOException {
    try {
      return overlay.getattr(abs(path)).ino();
    } catch (OverlayException e) {
      throw new TargetException(e.errno().name(), "stat " + path);
    }
  }

  @Override
  public long upperDataBytes() throws IOException {
    if (memory) {
      long sum = 0;
      for (TreeSnapshot.Entry e : Snapshots.ofLayer("upper", memUpper).entries().values()) {
        if (e.type() == TreeSnapshot.Type.REGULAR) {
          sum += e.size();
        }
      }
      return sum;
    }
    return MountTarget.allocatedBytes(upperDir);
  }

  @Override
  public long bytesCopiedUp() {
    return overlay.stats().bytesCopiedUp();
  }

  @Override
  public long lowerAtime(int layer, String path) throws IOException {
    return memory ? -1 : MountTarget.atime(hostLowers.get(layer).resolve(path));
  }

  @Override
  public void setLowerAtime(int layer, String path, long nanos) throws IOException {
    if (!memory) {
      MountTarget.setAtime(hostLowers.get(layer).resolve(path), nanos);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      overlay.close();
    } finally {
      if (scratch != null) {
        scratch.close();
      }
    }
  }

  @Override
  public String toString() {
    return name() + (scratch != null ? " in " + scratch : "");
  }
}
