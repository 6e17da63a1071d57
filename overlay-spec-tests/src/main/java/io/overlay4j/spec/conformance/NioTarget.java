package io.overlay4j.spec.conformance;

import io.overlay4j.core.FileType;
import io.overlay4j.core.OverlayException;
import io.overlay4j.nio.OverlayCopyOption;
import io.overlay4j.nio.OverlayFileSystem;
import io.overlay4j.nio.XattrView;
import io.overlay4j.spec.KernelOverlay;
import io.overlay4j.spec.TreeSnapshot;
import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.Model;
import io.overlay4j.spec.model.Op;
import io.overlay4j.spec.model.Outcome;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * overlay-core through its {@code java.nio.file} provider: the same layers as {@link
 * CoreTarget} ({@code nio-memory}: in-memory layers passed as objects; {@code nio}: host
 * directories given as mount options), every operation made with {@link Files} on the
 * provider's paths and every snapshot of the merged view read the same way. Errnos come back
 * from the JDK exceptions' cause, the core's {@link OverlayException}.
 *
 * <p>Where {@code java.nio.file} has no call for a system call, the operation is composed as a
 * Java program would have to: {@code truncate(path)} is a stat (EISDIR for a directory, EINVAL
 * for anything but a regular file), an open for writing and a truncate or a write of zeros up
 * to the size; {@code rmdir} and {@code unlink} are an lstat (ENOTDIR, EISDIR) and {@code
 * Files.delete}; {@code chown} is two calls (owner, then group). Two have no JDK call at all and
 * use the provider's extensions: {@code mkfifo} ({@link OverlayFileSystem#createSpecialFile})
 * and {@code setxattr} of names outside {@code user.*} or with flags ({@link XattrView}).
 * Renames are {@code Files.move} with ATOMIC_MOVE (flags 0) or {@link OverlayCopyOption}s.
 */
final class NioTarget extends CoreTarget {
  private static final AtomicLong SEQUENCE = new AtomicLong();
  private OverlayFileSystem fs;

  private NioTarget(boolean memory, Model.Options options) {
    super(memory, options);
  }

  static NioTarget memory(List<LayerTree> lowers, Model.Options options) throws IOException {
    return setUpMemory(new NioTarget(true, options), lowers);
  }

  static NioTarget host(List<LayerTree> lowers, Model.Options options) throws IOException {
    return setUpHost(new NioTarget(false, options), lowers, "conf-nio");
  }

  @Override
  void open() throws IOException {
    Map<String, Object> env = new LinkedHashMap<>();
    if (memory) {
      env.put("lowerLayers", List.copyOf(memLowers));
      env.put("upperLayer", memUpper);
      env.put("workLayer", memWork);
      if (options.redirectDir()) {
        env.put("redirect_dir", "on");
      }
    } else {
      env.put("options", KernelOverlay.options(hostLowers, upperDir, workDir)
          + (options.redirectDir() ? ",redirect_dir=on" : ""));
    }
    env.put("umask", 0); // the operations' modes are exact, as the harness sets umask 0
    fs = (OverlayFileSystem) FileSystems.newFileSystem(
        URI.create("overlay://conformance-" + SEQUENCE.incrementAndGet()), env);
  }

  @Override
  public String name() {
    return memory ? "nio-memory" : "nio";
  }

  private Path p(String path) {
    return fs.getPath("/" + path);
  }

  /** The errno behind a provider exception, or the exception again (a harness failure). */
  private static String errno(IOException e) throws IOException {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof OverlayException oe) {
        return oe.errno().name();
      }
    }
    throw e;
  }

  private static FileAttribute<Set<PosixFilePermission>> perms(int mode) {
    StringBuilder sb = new StringBuilder();
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      sb.append((mode & (0400 >> i)) != 0 ? rwx.charAt(i) : '-');
    }
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(sb.toString()));
  }

  private static void writeAll(SeekableByteChannel ch, String data) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(data.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  @Override
  public Outcome apply(Op op) throws IOException {
    try {
      if (op instanceof Op.Create o) {
        if ((o.mode() & ~0777) != 0) {
          throw new IllegalArgumentException("posix:permissions cannot say " + o.mode());
        }
        try (SeekableByteChannel ch = Files.newByteChannel(p(o.path()),
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), perms(o.mode()))) {
          writeAll(ch, o.data());
        }
      } else if (op instanceof Op.Write o) {
        Set<OpenOption> opts = switch (o.mode()) {
          case OVERWRITE -> Set.of(StandardOpenOption.WRITE);
          case TRUNCATE -> Set.of(StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
          case APPEND -> Set.of(StandardOpenOption.APPEND);
        };
        try (SeekableByteChannel ch = Files.newByteChannel(p(o.path()), opts)) {
          writeAll(ch, o.data());
        }
      } else if (op instanceof Op.Truncate o) {
        truncate(p(o.path()), o.size());
      } else if (op instanceof Op.Mkdir o) {
        Files.createDirectory(p(o.path()), perms(o.mode()));
      } else if (op instanceof Op.Mkfifo o) {
        fs.createSpecialFile(p(o.path()), FileType.FIFO, o.mode(), 0);
      } else if (op instanceof Op.Symlink o) {
        Files.createSymbolicLink(p(o.path()), fs.getPath(o.target()));
      } else if (op instanceof Op.Rmdir o) {
        if (!Files.readAttributes(p(o.path()), BasicFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS).isDirectory()) {
          return Outcome.fail("ENOTDIR");
        }
        Files.delete(p(o.path()));
      } else if (op instanceof Op.Unlink o) {
        if (Files.readAttributes(p(o.path()), BasicFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS).isDirectory()) {
          return Outcome.fail("EISDIR");
        }
        Files.delete(p(o.path()));
      } else if (op instanceof Op.Rename o) {
        Files.move(p(o.from()), p(o.to()), moveOptions(o.flags()));
      } else if (op instanceof Op.Link o) {
        Files.createLink(p(o.path()), p(o.existing()));
      } else if (op instanceof Op.Chmod o) {
        Files.setAttribute(p(o.path()), "unix:mode", o.mode());
      } else if (op instanceof Op.Chown o) {
        Files.setAttribute(p(o.path()), "unix:uid", o.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p(o.path()), "unix:gid", o.gid(), LinkOption.NOFOLLOW_LINKS);
      } else if (op instanceof Op.SetMtime o) {
        Files.getFileAttributeView(p(o.path()), BasicFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS)
            .setTimes(FileTime.from(o.mtimeNanos(), TimeUnit.NANOSECONDS), null, null);
      } else if (op instanceof Op.SetXattr o) {
        Files.getFileAttributeView(p(o.path()), XattrView.class, LinkOption.NOFOLLOW_LINKS)
            .write(o.name(), o.value().getBytes(StandardCharsets.UTF_8), o.flags());
      } else if (op instanceof Op.RemoveXattr o) {
        Files.getFileAttributeView(p(o.path()), XattrView.class, LinkOption.NOFOLLOW_LINKS)
            .delete(o.name());
      } else if (op instanceof Op.Remount) {
        remount();
      } else {
        throw new IllegalArgumentException(op.toString());
      }
      return Outcome.OK;
    } catch (IOException e) {
      return Outcome.fail(errno(e));
    }
  }

  private static CopyOption[] moveOptions(int flags) {
    if (flags == 0) {
      return new CopyOption[] {StandardCopyOption.ATOMIC_MOVE};
    }
    List<CopyOption> out = new ArrayList<>();
    for (OverlayCopyOption o : OverlayCopyOption.values()) {
      if ((flags & o.flag()) != 0) {
        out.add(o);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("rename flags " + flags);
    }
    return out.toArray(new CopyOption[0]);
  }

  /** truncate(2) in java.nio terms: see the class comment. */
  private static void truncate(Path p, long size) throws IOException {
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
    if (a.isDirectory()) {
      throw failure("EISDIR", p);
    }
    if (!a.isRegularFile()) {
      throw failure("EINVAL", p);
    }
    Set<OpenOption> opts = size == 0
        ? Set.of(StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)
        : Set.of(StandardOpenOption.WRITE);
    try (FileChannel ch = FileChannel.open(p, opts)) {
      if (ch.size() > size) {
        ch.truncate(size);
      } else if (ch.size() < size) {
        ByteBuffer zeros = ByteBuffer.allocate((int) (size - ch.size()));
        long at = ch.size();
        while (zeros.hasRemaining()) {
          at += ch.write(zeros, at);
        }
      }
    }
  }

  private static IOException failure(String errno, Path p) {
    IOException e = new java.nio.file.FileSystemException(p.toString());
    e.initCause(new OverlayException(io.overlay4j.core.Errno.valueOf(errno), p.toString()));
    return e;
  }

  @Override
  public TreeSnapshot merged() throws IOException {
    return TreeSnapshot.ofHostPath(name(), fs.getPath("/"), paths -> {
      Map<String, SortedMap<String, String>> out = new HashMap<>();
      for (Map.Entry<String, Path> e : paths.entrySet()) {
        XattrView x = Files.getFileAttributeView(e.getValue(), XattrView.class,
            LinkOption.NOFOLLOW_LINKS);
        SortedMap<String, String> values = new TreeMap<>();
        for (String n : x.list()) {
          values.put(n, HexFormat.of().formatHex(x.read(n)));
        }
        out.put(e.getKey(), values);
      }
      return out;
    });
  }

  @Override
  public void remount() throws IOException {
    fs.close();
    open();
  }

  @Override
  public void unmount() throws IOException {
    fs.close();
  }

  @Override
  public FileHandle open(String path, boolean write) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(p(path), write ? StandardOpenOption.WRITE : StandardOpenOption.READ);
    } catch (IOException e) {
      throw new TargetException(errno(e), "open " + path);
    }
    return new FileHandle() {
      @Override
      public byte[] readAll() throws IOException {
        return CoreTarget.readAll(ch::read);
      }

      @Override
      public Outcome write(byte[] data, long offset) throws IOException {
        try {
          ch.write(ByteBuffer.wrap(data), offset);
          return Outcome.OK;
        } catch (IOException e) {
          return Outcome.fail(errno(e));
        }
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  /** A directory stream, two names at a time; a rewind is a new stream (a new opendir). */
  @Override
  public DirHandle openDir(String path) throws IOException {
    Path dir = p(path);
    DirectoryStream<Path> first;
    try {
      first = Files.newDirectoryStream(dir);
    } catch (IOException e) {
      throw new TargetException(errno(e), "opendir " + path);
    }
    return new DirHandle() {
      DirectoryStream<Path> stream = first;
      Iterator<Path> it = first.iterator();

      @Override
      public List<String> next() {
        List<String> out = new ArrayList<>();
        while (out.size() < 2 && it.hasNext()) {
          out.add(it.next().getFileName().toString());
        }
        return out;
      }

      @Override
      public void rewind() throws IOException {
        stream.close();
        stream = Files.newDirectoryStream(dir);
        it = stream.iterator();
      }

      @Override
      public void close() throws IOException {
        stream.close();
      }
    };
  }

  @Override
  public long ino(String path) throws IOException {
    try {
      return (Long) Files.getAttribute(p(path), "unix:ino", LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new TargetException(errno(e), "stat " + path);
    }
  }

  @Override
  public long bytesCopiedUp() {
    return fs.stats().bytesCopiedUp();
  }

  @Override
  public void close() throws IOException {
    try {
      if (fs != null) {
        fs.close();
      }
    } finally {
      if (scratch != null) {
        scratch.close();
      }
    }
  }
}
