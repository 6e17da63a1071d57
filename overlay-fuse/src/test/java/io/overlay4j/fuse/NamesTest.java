package io.overlay4j.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlay4j.fuse.ReliabilitySupport.InProcessMount;
import io.overlay4j.fuse.ReliabilitySupport.KernelMount;
import io.overlay4j.fuse.ReliabilitySupport.PyWorker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile names through the mount: NAME_MAX and PATH_MAX, "." and ".." in odd places, names
 * that look like whiteouts (ordinary files in the kernel's format; with whiteout=oci they must
 * be refused without touching upper), and names that are not UTF-8. The same Python probes run
 * through overlay4j and through the kernel's overlayfs over the same lower layers; where the
 * kernel is the reference the results must be identical, line for line.
 */
@Timeout(120)
class NamesTest {
  TestMount t;
  Path kupper;
  Path kwork;
  Path kmerged;

  @BeforeEach
  void layers() throws Exception {
    FuseTestSupport.assumeFuseMounts();
    t = new TestMount();
    kupper = Files.createDirectory(t.root.resolve("kupper"));
    kwork = Files.createDirectory(t.root.resolve("kwork"));
    kmerged = Files.createDirectory(t.root.resolve("kmerged"));
    ReliabilitySupport.write(t.l1.resolve("top"), "top".getBytes(), 0644);
    ReliabilitySupport.write(t.l1.resolve("x"), "x".getBytes(), 0644);
    ReliabilitySupport.write(t.l2.resolve("y"), "y".getBytes(), 0644);
    ReliabilitySupport.write(t.l1.resolve("dir/a"), "a".getBytes(), 0644);
    ReliabilitySupport.write(t.l2.resolve("dir/b"), "b".getBytes(), 0644);
    ReliabilitySupport.write(t.l2.resolve("L".repeat(255)), "long".getBytes(), 0644);
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (t != null) {
      if (MountTable.isMountPoint(kmerged)) {
        FuseTestSupport.sh("umount -l '" + kmerged + "'");
      }
      t.close();
    }
  }

  private static final String PRELUDE = String.join("\n",
      "import os, sys, errno",
      "os.umask(0o022)",
      "M = sys.argv[1].encode()",
      "def r(desc, f):",
      "    try:",
      "        v = f()",
      "        print(desc, '->', 'ok' if v is None else 'ok %r' % (v,))",
      "    except OSError as e:",
      "        print(desc, '->', errno.errorcode.get(e.errno, str(e.errno)))",
      "    sys.stdout.flush()",
      "def P(p): return M + b'/' + (p if isinstance(p, bytes) else p.encode())",
      "def create(p): os.close(os.open(P(p), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))",
      "def write(p, d): open(P(p), 'wb').write(d)",
      "def ls(p=''): return sorted(os.listdir(P(p) if p else M))",
      "def read(p): return open(P(p), 'rb').read()",
      "def size(p): return os.lstat(P(p)).st_size",
      "");

  /** Runs the probes through overlay4j (options added to the usual ones) and returns their lines. */
  private List<String> throughOverlay4j(String extra, String probes) throws Exception {
    try (InProcessMount m = new InProcessMount(t.options() + extra, t.merged)) {
      return runProbes(probes, t.merged);
    } finally {
      assertEquals(List.of(), ReliabilitySupport.names(t.work.resolve("work")),
          "nothing left in work/work");
    }
  }

  private List<String> throughKernel(String probes) throws Exception {
    assumeTrue(ReliabilitySupport.kernelOverlayWorks(t.root), "no kernel overlayfs here");
    try (KernelMount k = new KernelMount("lowerdir=" + t.l1 + ":" + t.l2 + ",upperdir=" + kupper
        + ",workdir=" + kwork, kmerged)) {
      return runProbes(probes, kmerged);
    }
  }

  private static List<String> runProbes(String probes, Path merged) throws Exception {
    try (PyWorker w = new PyWorker(PRELUDE + probes, merged.toString())) {
      List<String> out = w.finish(60);
      assertEquals(0, w.exitValue(), "the probe script ran: " + out);
      return out;
    }
  }

  private static void sameAsKernel(List<String> kernel, List<String> mine) {
    List<String> diff = new ArrayList<>();
    for (int i = 0; i < Math.max(kernel.size(), mine.size()); i++) {
      String k = i < kernel.size() ? kernel.get(i) : "(none)";
      String o = i < mine.size() ? mine.get(i) : "(none)";
      if (!k.equals(o)) {
        diff.add("kernel:    " + k + "\n  overlay4j: " + o);
      }
    }
    assertTrue(diff.isEmpty(), "overlay4j differs from the kernel:\n  " + String.join("\n  ", diff));
  }

  @Test
  void nameMaxAsTheKernel() throws Exception {
    String probes = String.join("\n",
        "n255, n256 = 'n' * 255, 'n' * 256",
        "r('create 255 bytes', lambda: create(n255))",
        "r('listed', lambda: n255 in os.listdir(M.decode()))",
        "r('create 256 bytes', lambda: create(n256))",
        "r('mkdir 256 bytes', lambda: os.mkdir(P(n256)))",
        "r('symlink at 256 bytes', lambda: os.symlink('top', P(n256)))",
        "r('rename to 256 bytes', lambda: os.rename(P('top'), P(n256)))",
        "r('link to 256 bytes', lambda: os.link(P('top'), P(n256)))",
        "r('stat 256 bytes', lambda: os.stat(P(n256)).st_size)",
        "r('255 bytes of 2-byte chars + 1', lambda: create('\\u00e9' * 127 + 'e'))",
        "r('256 bytes of 2-byte chars', lambda: create('\\u00e9' * 128))",
        "r('255 bytes of 3-byte chars', lambda: create('\\u20ac' * 85))",
        "r('258 bytes of 3-byte chars', lambda: create('\\u20ac' * 86))",
        "r('read a lower 255-byte name', lambda: read('L' * 255))",
        "r('append to it (copy-up)', lambda: open(P('L' * 255), 'ab').write(b'+'))",
        "r('read it again', lambda: read('L' * 255))",
        "r('rename it to another 255-byte name', lambda: os.rename(P('L' * 255), P('M' * 255)))",
        "r('old name gone', lambda: os.path.exists(P('L' * 255)))",
        "r('path of 4095 bytes', lambda: os.stat(P('/' * (4091 - len(M)) + 'top')).st_size)",
        "r('path of 4096 bytes', lambda: os.stat(P('/' * (4092 - len(M)) + 'top')).st_size)",
        "r('4095 bytes through a directory', lambda: os.stat(P('dir/' + './' * ((4091 - 4 - len(M)) // 2) + 'a')).st_size)",
        "r('listing', lambda: [len(n) for n in ls()])");
    List<String> mine = throughOverlay4j("", probes);
    sameAsKernel(throughKernel(probes), mine);
    assertTrue(mine.contains("create 256 bytes -> ENAMETOOLONG"), mine.toString());
  }

  /**
   * Objects nested deeper than PATH_MAX from the mount root, made with relative (dir-fd)
   * calls: the kernel's overlayfs has no limit on the depth; overlay4j resolves whole paths
   * (and uses absolute host paths), so it must stop with ENAMETOOLONG, nothing half made.
   */
  @Test
  void deeperThanPathMax() throws Exception {
    String probes = String.join("\n",
        "fd = os.open(M, os.O_RDONLY | os.O_DIRECTORY)",
        "for i in range(20):",
        "    name = ('d%02d' % i) + 'x' * 246",
        "    try:",
        "        os.mkdir(name, dir_fd=fd)",
        "    except OSError as e:",
        "        print('mkdir depth', i + 1, 'path', 250 * (i + 1), '->', errno.errorcode[e.errno])",
        "        break",
        "    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)",
        "    os.close(fd)",
        "    fd = nfd",
        "    try:",
        "        os.close(os.open('f', os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))",
        "        print('file depth', i + 1, 'ok')",
        "    except OSError as e:",
        "        print('file depth', i + 1, 'path', 250 * (i + 1) + 2, '->', errno.errorcode[e.errno])",
        "r('root still lists', lambda: len(ls()))");
    List<String> mine;
    List<String> kernel;
    String upperCounts;
    try {
      mine = throughOverlay4j("", probes);
      upperCounts = FuseTestSupport.sh("cd '" + t.upper + "' && echo $(find . -mindepth 1 -type d"
          + " | wc -l) $(find . -type f | wc -l)").ok().output().strip();
      kernel = throughKernel(probes);
    } finally {
      // deeper than PATH_MAX: Files.walk cannot delete it, rm -r can
      FuseTestSupport.sh("rm -rf '" + t.upper + "'/d00* '" + kupper + "'/d00*");
    }
    System.out.println("  deep paths, kernel:    " + kernel);
    System.out.println("  deep paths, overlay4j: " + mine);
    for (String l : mine) {
      assertTrue(l.endsWith("ok") || l.endsWith("ENAMETOOLONG") || l.startsWith("root"),
          "only ENAMETOOLONG, never EIO or a crash: " + l);
    }
    assertTrue(mine.get(mine.size() - 1).startsWith("root still lists -> ok"), mine.toString());
    // What overlay4j made is whole: every directory it made has its file.
    long files = mine.stream().filter(l -> l.startsWith("file depth") && l.endsWith("ok")).count();
    assertEquals(files + " " + files, upperCounts, "upper holds the directories and files"
        + " overlay4j reported made, and nothing half made");
  }

  @Test
  void dotAndDotDotAsTheKernel() throws Exception {
    String probes = String.join("\n",
        "r('stat dir/.', lambda: os.stat(P('dir/.')).st_nlink > 0)",
        "r('stat dir/..', lambda: os.stat(P('dir/..')).st_ino == os.stat(M).st_ino)",
        "r('stat top/.', lambda: os.stat(P('top/.')).st_size)",
        "r('stat top/..', lambda: os.stat(P('top/..')).st_size)",
        "r('open dir/../top', lambda: read('dir/../top'))",
        "r('mkdir dir/./new', lambda: os.mkdir(P('dir/./new')))",
        "r('mkdir dir/new/../new2', lambda: os.mkdir(P('dir/new/../new2')))",
        "r('mkdir dir/.', lambda: os.mkdir(P('dir/.')))",
        "r('mkdir dir/..', lambda: os.mkdir(P('dir/..')))",
        "r('create dir/.', lambda: create('dir/.'))",
        "r('rmdir dir/.', lambda: os.rmdir(P('dir/.')))",
        "r('rmdir dir/..', lambda: os.rmdir(P('dir/..')))",
        "r('unlink dir/..', lambda: os.unlink(P('dir/..')))",
        "r('rename top to dir/..', lambda: os.rename(P('top'), P('dir/..')))",
        "r('rename dir/. to d2', lambda: os.rename(P('dir/.'), P('d2')))",
        "r('rename dir/new to dir/new/sub', lambda: os.rename(P('dir/new'), P('dir/new/sub')))",
        "r('symlink to ..', lambda: os.symlink('..', P('up')))",
        "r('readlink up', lambda: os.readlink(P('up')))",
        "r('stat up/top via the link', lambda: os.stat(P('up/top')).st_size)",
        "r('names ... ..a .a. a..', lambda: [create(n) for n in ('...', '..a', '.a.', 'a..')] and None)",
        "r('listing', lambda: ls())",
        "r('dir listing', lambda: ls('dir'))");
    List<String> mine = throughOverlay4j("", probes);
    sameAsKernel(throughKernel(probes), mine);
  }

  @Test
  void whiteoutLookalikesAreOrdinaryNamesInTheKernelFormat() throws Exception {
    String probes = String.join("\n",
        "r('create .wh.x', lambda: write('.wh.x', b'w'))",
        "r('read .wh.x', lambda: read('.wh.x'))",
        "r('x still there', lambda: read('x'))",
        "r('mkdir .wh..wh..opq', lambda: os.mkdir(P('.wh..wh..opq')))",
        "r('rename y to .wh.y', lambda: os.rename(P('y'), P('.wh.y')))",
        "r('read .wh.y', lambda: read('.wh.y'))",
        "r('mkdir dir/.wh.a', lambda: os.mkdir(P('dir/.wh.a')))",
        "r('dir/a still there', lambda: read('dir/a'))",
        "r('listing', lambda: ls())",
        "r('dir listing', lambda: ls('dir'))",
        "r('unlink .wh.x', lambda: os.unlink(P('.wh.x')))",
        "r('listing', lambda: ls())");
    List<String> mine = throughOverlay4j("", probes);
    sameAsKernel(throughKernel(probes), mine);
  }

  /**
   * With whiteout=oci a ".wh.NAME" entry in upper IS a whiteout and ".wh..wh..opq" makes its
   * directory opaque, so a user may not make such a name (fuse-overlayfs answers EINVAL): the
   * attempt must fail and leave upper and the merged view as they were.
   */
  /**
   * With whiteout=oci the whiteout of NAME is ".wh.NAME": for a name of 252 to 255 bytes that
   * marker cannot exist, which must not make the name (or its directory) unreadable.
   */
  @Test
  void longNamesWithOciWhiteouts() throws Exception {
    String probes = String.join("\n",
        "r('listing', lambda: len(ls()))",
        "r('read a lower 255-byte name', lambda: read('L' * 255))",
        "r('create a 253-byte name', lambda: write('N' * 253, b'n'))",
        "r('read it', lambda: read('N' * 253))",
        "r('listing', lambda: len(ls()))");
    List<String> oci = throughOverlay4j(",whiteout=oci", probes);
    System.out.println("  whiteout=oci, long names: " + oci);
    assertEquals(List.of("listing -> ok 5", "read a lower 255-byte name -> ok b'long'",
        "create a 253-byte name -> ok", "read it -> ok b'n'", "listing -> ok 6"), oci,
        "names of 252..255 bytes work with whiteout=oci (their .wh. marker cannot exist)");
  }

  @Test
  void whiteoutLookalikesAreRefusedWithOciWhiteouts() throws Exception {
    Files.delete(t.l2.resolve("L".repeat(255))); // see longNamesWithOciWhiteouts
    ReliabilitySupport.write(t.l2.resolve(".wh.hidden-by-l2"), new byte[0], 0644);
    ReliabilitySupport.write(t.l2.resolve("z"), "z".getBytes(), 0644);
    String probes = String.join("\n",
        "r('listing before', lambda: ls())",
        "r('create .wh.x', lambda: write('.wh.x', b'w'))",
        "r('mkdir .wh..wh..opq', lambda: os.mkdir(P('.wh..wh..opq')))",
        "r('mknod .wh.top (fifo)', lambda: os.mkfifo(P('.wh.top')))",
        "r('symlink .wh.dir', lambda: os.symlink('x', P('.wh.dir')))",
        "r('link to .wh.z', lambda: os.link(P('x'), P('.wh.z')))",
        "r('rename y to .wh.y', lambda: os.rename(P('y'), P('.wh.y')))",
        "r('stat .wh.x', lambda: os.stat(P('.wh.x')))",
        "r('read x', lambda: read('x'))",
        "r('read y', lambda: read('y'))",
        "r('read z', lambda: read('z'))",
        "r('read dir/a', lambda: read('dir/a'))",
        "r('listing after', lambda: ls())");
    List<String> mine = throughOverlay4j(",whiteout=oci", probes);
    System.out.println("  whiteout=oci lookalikes: " + mine);
    List<String> problems = new ArrayList<>();
    for (String l : mine) {
      String op = l.substring(0, l.indexOf(" ->"));
      boolean makes = op.startsWith("create") || op.startsWith("mkdir") || op.startsWith("mknod")
          || op.startsWith("symlink") || op.startsWith("link") || op.startsWith("rename");
      if (makes && !l.endsWith("EINVAL")) {
        problems.add(l + "   (expected EINVAL, as fuse-overlayfs)");
      }
    }
    if (!mine.get(0).replace("listing before", "listing after")
        .equals(mine.get(mine.size() - 1))) {
      problems.add("the merged view changed: " + mine.get(0) + " / " + mine.get(mine.size() - 1));
    }
    for (String f : List.of("x", "y", "z", "dir/a")) {
      if (!mine.contains("read " + f + " -> ok b'" + f.substring(f.length() - 1) + "'")) {
        problems.add(f + " is no longer readable");
      }
    }
    List<String> upper = ReliabilitySupport.names(t.upper);
    if (upper.stream().anyMatch(n -> n.startsWith(".wh."))) {
      problems.add("upper now holds " + upper);
    }
    assertTrue(problems.isEmpty(), "whiteout=oci: a name that is OCI vocabulary was accepted:\n  "
        + String.join("\n  ", problems));
  }

  /**
   * Names that are not UTF-8 (the kernel allows any byte but '/' and NUL). Acceptable: exact
   * round trip (as the kernel), or a refusal with nothing made. Never two names for one file,
   * never a listed name that cannot be opened, never a lower file that vanishes.
   */
  @Test
  void nonUtf8Names() throws Exception {
    FuseTestSupport.sh(ReliabilitySupport.python() + " -c \"open(b'" + t.l1
        + "/low\\xffname', 'w').write('lowbad')\"").ok();
    String probes = String.join("\n",
        "r('listing', lambda: ls())",
        "r('read lower low\\\\xffname', lambda: read(b'low\\xffname'))",
        "r('create a\\\\xff', lambda: write(b'a\\xff', b'FF'))",
        "r('create a\\\\xfe exclusively', lambda: create(b'a\\xfe'))",
        "r('read a\\\\xfe', lambda: read(b'a\\xfe'))",
        "r('mkdir d\\\\xc3', lambda: os.mkdir(P(b'd\\xc3')))",
        "r('listing', lambda: ls())");
    List<String> mine = throughOverlay4j("", probes);
    List<String> kernel = throughKernel(probes);
    System.out.println("  non-UTF-8 names, kernel:    " + kernel);
    System.out.println("  non-UTF-8 names, overlay4j: " + mine);
    List<String> problems = new ArrayList<>();
    // jnr-fuse and the JDK see names as UTF-8, so overlay4j cannot serve such a name as the
    // kernel does (README "Mounting"): it must refuse it (EILSEQ) or not list it at all (then
    // ENOENT), never list an alias that cannot be opened, and leave the lower file as it is.
    boolean hidden = mine.get(1).endsWith("ENOENT") && !mine.get(0).contains("low");
    if (!mine.get(1).equals(kernel.get(1)) && !mine.get(1).endsWith("EILSEQ") && !hidden) {
      problems.add("a lower file with a non-UTF-8 name: " + mine.get(1) + " (kernel: "
          + kernel.get(1) + "); listing " + mine.get(0) + " (kernel: " + kernel.get(0) + ")");
    }
    for (int i = 2; i < mine.size() - 1; i++) {
      if (!mine.get(i).equals(kernel.get(i)) && !mine.get(i).endsWith("EILSEQ")) {
        problems.add("neither the kernel's answer nor EILSEQ: " + mine.get(i) + " (kernel: "
            + kernel.get(i) + ")");
      }
    }
    String lower = FuseTestSupport.sh(ReliabilitySupport.python() + " -c \"print(open(b'"
        + t.l1 + "/low\\xffname', 'rb').read())\"").ok().output().strip();
    if (!lower.equals("b'lowbad'")) {
      problems.add("the lower file changed: " + lower);
    }
    boolean createdFf = mine.get(2).endsWith("-> ok 2");
    if (createdFf && mine.get(3).endsWith("EEXIST")) {
      problems.add("b'a\\xff' and b'a\\xfe' are one file: " + mine.get(3) + ", " + mine.get(4));
    }
    String upper = FuseTestSupport.sh(ReliabilitySupport.python() + " -c \"import os; print("
        + "sorted(os.listdir(b'" + t.upper + "')))\"").ok().output().strip();
    if (mine.get(0).contains("\\xef\\xbf\\xbd")
        || mine.get(mine.size() - 1).contains("\\xef\\xbf\\xbd")) {
      problems.add("a listed name is U+FFFD for bytes that are not UTF-8: " + mine);
    }
    if (upper.contains("\\xef\\xbf\\xbd")) {
      problems.add("upper holds names with U+FFFD (EF BF BD) instead of the bytes given: " + upper);
    }
    assertTrue(problems.isEmpty(), "non-UTF-8 names:\n  " + String.join("\n  ", problems));
    assertFalse(mine.isEmpty());
  }
}
