package io.overlay4j.spec.conformance;

import io.overlay4j.spec.KernelOverlay;
import io.overlay4j.spec.MountedTree;
import io.overlay4j.spec.Scratch;
import io.overlay4j.spec.Shell;
import io.overlay4j.spec.TreeSnapshot;
import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.Model;
import io.overlay4j.spec.model.Op;
import io.overlay4j.spec.model.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A mounted overlay — the kernel's, fuse-overlayfs, overlay4j's FUSE server or any command
 * template — in a private mount namespace ({@link MountedTree}), driven by system calls on its
 * mount point as this JVM reaches it through {@code /proc/PID/root} ({@link Posix}: each call's
 * errno is the result).
 */
final class MountTarget implements Target {
  /** How to mount: a name and a function from the directories to a {@link MountedTree} command. */
  interface Mounter {
    String name();

    MountedTree.MountCommand command(List<Path> lowers, Path upper, Path work, Path merged);

    /** Whether the work directory may be judged while mounted (the kernel leaves it clean). */
    default boolean workCleanWhileMounted() {
      return false;
    }
  }

  private final Mounter mounter;
  private final Model.Options options;
  private final Scratch scratch;
  private final List<Path> lowers = new ArrayList<>();
  private final Path upper;
  private final Path work;
  private final Path merged;
  private MountedTree mount;

  private MountTarget(Mounter mounter, Model.Options options, Scratch scratch, Path upper,
      Path work, Path merged) {
    this.mounter = mounter;
    this.options = options;
    this.scratch = scratch;
    this.upper = upper;
    this.work = work;
    this.merged = merged;
  }

  static MountTarget create(Mounter mounter, List<LayerTree> layers, Model.Options options)
      throws IOException {
    Scratch scratch = Scratch.create("conf-" + mounter.name().replaceAll("[^a-z0-9-]", ""));
    try {
      Path upper = scratch.dir("upper");
      Path work = scratch.dir("work");
      Path merged = scratch.dir("merged");
      MountTarget t = new MountTarget(mounter, options, scratch, upper, work, merged);
      for (int i = 0; i < layers.size(); i++) {
        Path l = scratch.root().resolve("l" + (i + 1));
        LayerWriter.toHost(layers.get(i), l);
        t.lowers.add(l);
      }
      t.mount();
      return t;
    } catch (IOException | RuntimeException e) {
      scratch.close();
      throw e;
    }
  }

  private String optionString() {
    return KernelOverlay.options(lowers, upper, work)
        + (options.redirectDir() ? ",redirect_dir=on" : "");
  }

  private void mount() throws IOException {
    mount = MountedTree.mount(mounter.command(lowers, upper, work, merged), optionString(),
        merged);
  }

  Path lowerDir(int i) {
    return lowers.get(i);
  }

  private Path p(String rel) {
    if (mount == null) {
      throw new IllegalStateException(name() + " is not mounted");
    }
    return mount.hostPath().resolve(rel);
  }

  @Override
  public String name() {
    return mounter.name();
  }

  @Override
  public Outcome apply(Op op) throws IOException {
    Posix px = Posix.get();
    if (op instanceof Op.Create o) {
      int fd = px.open(p(o.path()), Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL, o.mode());
      if (fd < 0) {
        return Outcome.ofErrno(-fd);
      }
      int rc = px.write(fd, o.data().getBytes(StandardCharsets.UTF_8), 0);
      int rc2 = px.close(fd);
      return Outcome.ofErrno(rc != 0 ? rc : rc2);
    } else if (op instanceof Op.Write o) {
      int flags = Posix.O_WRONLY | Posix.O_NONBLOCK
          | (o.mode() == Op.WriteMode.APPEND ? Posix.O_APPEND : 0)
          | (o.mode() == Op.WriteMode.TRUNCATE ? Posix.O_TRUNC : 0);
      int fd = px.open(p(o.path()), flags, 0);
      if (fd < 0) {
        return Outcome.ofErrno(-fd);
      }
      int rc = px.write(fd, o.data().getBytes(StandardCharsets.UTF_8),
          o.mode() == Op.WriteMode.OVERWRITE ? 0 : -1);
      int rc2 = px.close(fd);
      return Outcome.ofErrno(rc != 0 ? rc : rc2);
    } else if (op instanceof Op.Truncate o) {
      return Outcome.ofErrno(px.truncate(p(o.path()), o.size()));
    } else if (op instanceof Op.Mkdir o) {
      return Outcome.ofErrno(px.mkdir(p(o.path()), o.mode()));
    } else if (op instanceof Op.Mkfifo o) {
      return Outcome.ofErrno(px.mknod(p(o.path()), Posix.S_IFIFO | o.mode(), 0));
    } else if (op instanceof Op.Symlink o) {
      return Outcome.ofErrno(px.symlink(o.target(), p(o.path())));
    } else if (op instanceof Op.Rmdir o) {
      return Outcome.ofErrno(px.rmdir(p(o.path())));
    } else if (op instanceof Op.Unlink o) {
      return Outcome.ofErrno(px.unlink(p(o.path())));
    } else if (op instanceof Op.Rename o) {
      return Outcome.ofErrno(px.rename(p(o.from()), p(o.to()), o.flags()));
    } else if (op instanceof Op.Link o) {
      return Outcome.ofErrno(px.link(p(o.existing()), p(o.path())));
    } else if (op instanceof Op.Chmod o) {
      return Outcome.ofErrno(px.chmod(p(o.path()), o.mode()));
    } else if (op instanceof Op.Chown o) {
      return Outcome.ofErrno(px.lchown(p(o.path()), o.uid(), o.gid()));
    } else if (op instanceof Op.SetMtime o) {
      return Outcome.ofErrno(px.setMtime(p(o.path()), o.mtimeNanos()));
    } else if (op instanceof Op.SetXattr o) {
      return Outcome.ofErrno(px.setxattr(p(o.path()), o.name(),
          o.value().getBytes(StandardCharsets.UTF_8), o.flags()));
    } else if (op instanceof Op.RemoveXattr o) {
      return Outcome.ofErrno(px.removexattr(p(o.path()), o.name()));
    } else if (op instanceof Op.Remount) {
      remount();
      return Outcome.OK;
    }
    throw new IllegalArgumentException(op.toString());
  }

  @Override
  public TreeSnapshot merged() throws IOException {
    return Snapshots.ofHost(name(), p(""));
  }

  @Override
  public TreeSnapshot upper() throws IOException {
    return Snapshots.ofHost("upper", upper);
  }

  @Override
  public List<TreeSnapshot> lowers() throws IOException {
    List<TreeSnapshot> out = new ArrayList<>();
    for (int i = 0; i < lowers.size(); i++) {
      out.add(Snapshots.ofHost("lower " + (i + 1), lowers.get(i)));
    }
    return out;
  }

  @Override
  public List<String> workLeftovers() throws IOException {
    if (mount != null && !mounter.workCleanWhileMounted()) {
      return null;
    }
    return CoreTarget.hostWorkLeftovers(work);
  }

  @Override
  public Model.RootAttrs rootAttrs() throws IOException {
    Map<String, Object> a = Files.readAttributes(upper, "unix:mode,uid,gid",
        LinkOption.NOFOLLOW_LINKS);
    return new Model.RootAttrs((Integer) a.get("mode") & 07777, (Integer) a.get("uid"),
        (Integer) a.get("gid"));
  }

  @Override
  public void remount() throws IOException {
    unmount();
    mount();
  }

  @Override
  public void unmount() throws IOException {
    if (mount != null) {
      MountedTree m = mount;
      mount = null;
      m.close();
    }
  }

  @Override
  public FileHandle open(String path, boolean write) throws IOException {
    Posix px = Posix.get();
    int fd = px.open(p(path), write ? Posix.O_WRONLY | Posix.O_NONBLOCK : Posix.O_RDONLY, 0);
    if (fd < 0) {
      throw new TargetException(io.overlay4j.spec.model.Errnos.name(-fd), "open " + path);
    }
    return new FileHandle() {
      @Override
      public byte[] readAll() throws IOException {
        return px.readAll(fd);
      }

      @Override
      public Outcome write(byte[] data, long offset) {
        return Outcome.ofErrno(px.write(fd, data, offset));
      }

      @Override
      public void close() {
        px.close(fd);
      }
    };
  }

  @Override
  public DirHandle openDir(String path) throws IOException {
    Posix px = Posix.get();
    int fd = px.openDirectory(p(path));
    if (fd < 0) {
      throw new TargetException(io.overlay4j.spec.model.Errnos.name(-fd), "opendir " + path);
    }
    return new DirHandle() {
      @Override
      public List<String> next() throws IOException {
        while (true) {
          List<String> raw = px.getdents(fd, 64);
          if (raw.isEmpty()) {
            return raw; // the end of the directory
          }
          List<String> out = new ArrayList<>();
          for (String n : raw) {
            if (!n.equals(".") && !n.equals("..")) {
              out.add(n);
            }
          }
          if (!out.isEmpty()) {
            return out;
          }
        }
      }

      @Override
      public void rewind() throws IOException {
        int rc = px.rewind(fd);
        if (rc != 0) {
          throw new TargetException(io.overlay4j.spec.model.Errnos.name(rc), "rewinddir");
        }
      }

      @Override
      public void close() {
        px.close(fd);
      }
    };
  }

  @Override
  public long ino(String path) throws IOException {
    return (Long) Files.getAttribute(p(path), "unix:ino", LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public long upperDataBytes() throws IOException {
    return allocatedBytes(upper);
  }

  /** Disk blocks (bytes) allocated to the regular files under a host directory, per du. */
  static long allocatedBytes(Path dir) throws IOException {
    Shell.Result r = Shell.run("du", "-s", "-B1", "--", dir.toString()).requireSuccess();
    long total = Long.parseLong(r.out().trim().split("\\s+")[0]);
    long dirs = 0;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          dirs += 4096;
        }
      }
    }
    return Math.max(0, total - dirs);
  }

  @Override
  public long bytesCopiedUp() {
    return -1;
  }

  /** A lower file's atime: reading its data to copy it up moves it (relatime, old atime). */
  @Override
  public long lowerAtime(int layer, String path) throws IOException {
    return atime(lowers.get(layer).resolve(path));
  }

  @Override
  public void setLowerAtime(int layer, String path, long nanos) throws IOException {
    setAtime(lowers.get(layer).resolve(path), nanos);
  }

  static long atime(Path p) throws IOException {
    return ((FileTime) Files.getAttribute(p, "lastAccessTime", LinkOption.NOFOLLOW_LINKS))
        .to(TimeUnit.NANOSECONDS);
  }

  static void setAtime(Path p, long nanos) throws IOException {
    Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS).setTimes(null, FileTime.from(nanos, TimeUnit.NANOSECONDS),
        null);
  }

  @Override
  public void close() throws IOException {
    try {
      unmount();
    } finally {
      scratch.close();
    }
  }

  @Override
  public String toString() {
    return name() + " in " + scratch;
  }
}
