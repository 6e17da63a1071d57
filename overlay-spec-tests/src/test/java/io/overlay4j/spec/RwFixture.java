package io.overlay4j.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The layers read-write tests start from: two lowers and a pre-populated upper that already
 * holds the overlay's markers (a whiteout, an opaque directory, a merged directory with a
 * whiteout inside), built the same way each time so that several implementations can each get
 * a fresh copy. Every object's mtime is then set to {@link #MTIME}, so that two copies agree on
 * every time an operation does not change.
 *
 * <pre>
 *   path          l2 (bottom)         l1                upper
 *   a.txt         file, user.k=v
 *   b.txt                             file
 *   big           64 KiB file
 *   empty         empty file
 *   ro.txt        file 0444
 *   exec.sh       file 0755 1000:1000
 *   dir/          f1 f2 sub/deep      f3
 *   dir2/         g
 *   merged/       x keep              y                 w, whiteout keep
 *   opq/          old                                   opaque "y", new
 *   opq2/         o                   opaque "y", n
 *   gone          file                                  whiteout
 *   old-l2        file                whiteout
 *   shadow/       in                  file (hides the directory)
 *   l1only/                           z
 *   hl1, hl2      one file, 2 links
 *   sym           -&gt; a.txt
 *   deep/a/b/c    file
 *   u.txt                                               file
 *   udir/                                               ufile
 * </pre>
 */
final class RwFixture {
  /** The mtime of every fixture object: 2020-01-01T00:00:00Z. */
  static final long MTIME = 1_577_836_800L;

  private RwFixture() {}

  /** The layer directories of one copy. */
  record Layers(Path l1, Path l2, Path upper, Path work) {
    List<Path> lowers() {
      return List.of(l1, l2);
    }

    /** The kernel's option string, plus {@code extra} options when not empty. */
    String options(String extra) {
      String o = KernelOverlay.options(lowers(), upper, work);
      return extra == null || extra.isEmpty() ? o : o + "," + extra;
    }
  }

  private static Path template;

  /**
   * A fresh copy of the fixture in {@code scratch/dir} (l1, l2, upper, work): {@code cp -a} of a
   * template built once per JVM, which keeps modes, owners, mtimes, xattrs (trusted.* too, as
   * root), hard links and device nodes.
   */
  static Layers copy(Scratch scratch, String dir) throws IOException {
    Path t = template();
    Path to = scratch.dir(dir);
    Shell.run(List.of("cp", "-a", "--", t.resolve("l1").toString(), t.resolve("l2").toString(),
        t.resolve("upper").toString(), t.resolve("work").toString(), to.toString()))
        .requireSuccess();
    return new Layers(to.resolve("l1"), to.resolve("l2"), to.resolve("upper"),
        to.resolve("work"));
  }

  /**
   * A fresh copy ({@link #copy}) that the kernel's overlay has then mounted with {@code
   * extraOptions} and looked up entirely, once: the kernel writes to a pre-populated upper during
   * plain lookups ({@code origin} on an upper directory merged with a lower one, {@code impure}
   * and {@code uuid} on the upper root; even on a read-only mount). Tests start from the upper as
   * the kernel leaves it, so that these writes never count as a difference and every later one
   * does.
   */
  static Layers copyLookedUp(Scratch scratch, String dir, String extraOptions)
      throws IOException {
    Layers layers = copy(scratch, dir);
    try (MountedTree m = KernelOverlay.mount(layers.options(extraOptions),
        scratch.dir(dir + "/merged"))) {
      m.snapshot();
    }
    return layers;
  }

  private static synchronized Path template() throws IOException {
    if (template == null) {
      Scratch s = Scratch.create("rw-template");
      Runtime.getRuntime().addShutdownHook(new Thread(s::close));
      build(s, "t");
      template = s.root().resolve("t");
    }
    return template;
  }

  /** Builds the fixture in {@code scratch/dir} (l1, l2, upper, work). */
  static Layers build(Scratch scratch, String dir) throws IOException {
    LayerBuilder l1 = scratch.layer(dir + "/l1");
    LayerBuilder l2 = scratch.layer(dir + "/l2");
    LayerBuilder up = scratch.layer(dir + "/upper");
    Path work = scratch.dir(dir + "/work");

    byte[] big = new byte[64 << 10];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 7 + (i >> 9));
    }
    l2.file("a.txt", "lower a\n").xattr("a.txt", "user.k", "v")
        .file("big", big, 0644)
        .file("empty", new byte[0], 0644)
        .file("ro.txt", "read only\n", 0444)
        .file("exec.sh", "#!/bin/sh\necho hi\n", 0755).chown("exec.sh", 1000, 1000)
        .chmod("exec.sh", 0755)
        .file("dir/f1", "f1\n").file("dir/f2", "f2\n").file("dir/sub/deep", "deep\n")
        .xattr("dir", "user.d", "lower")
        .file("dir2/g", "g\n")
        .file("merged/x", "x\n").file("merged/keep", "keep\n")
        .file("opq/old", "old\n")
        .file("opq2/o", "o\n")
        .file("gone", "gone\n")
        .file("old-l2", "old\n")
        .file("shadow/in", "hidden\n")
        .file("hl1", "linked\n").hardlink("hl2", "hl1")
        .symlink("sym", "a.txt")
        .file("deep/a/b/c", "c\n");
    l1.file("b.txt", "lower b\n")
        .file("dir/f3", "f3\n")
        .file("merged/y", "y\n")
        .dir("opq2").opaque("opq2").file("opq2/n", "n\n")
        .whiteout("old-l2")
        .file("shadow", "file hides dir\n")
        .file("l1only/z", "z\n");
    up.whiteout("gone")
        .dir("opq").opaque("opq").file("opq/new", "new\n")
        .file("u.txt", "upper\n".getBytes(StandardCharsets.UTF_8), 0644)
        .file("merged/w", "w\n").whiteout("merged/keep")
        .file("udir/ufile", "uf\n");
    Layers layers = new Layers(l1.build(), l2.build(), up.build(), work);
    for (Path p : List.of(layers.l1(), layers.l2(), layers.upper())) {
      setAllMtimes(p, MTIME);
    }
    return layers;
  }

  /** Sets the mtime (and atime) of everything under {@code root}, symlinks themselves included. */
  static void setAllMtimes(Path root, long epochSeconds) throws IOException {
    Shell.run(List.of("find", root.toString(), "-depth", "-exec", "touch", "-h", "-d",
        "@" + epochSeconds, "--", "{}", "+")).requireSuccess();
  }
}
