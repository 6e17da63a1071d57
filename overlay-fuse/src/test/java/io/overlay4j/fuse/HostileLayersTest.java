package io.overlay4j.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlay4j.fuse.ReliabilitySupport.InProcessMount;
import io.overlay4j.fuse.ReliabilitySupport.KernelMount;
import io.overlay4j.fuse.ReliabilitySupport.PyWorker;
import io.overlay4j.fuse.ReliabilitySupport.Server;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A lower layer built to lead the server out of its layers: symlinks pointing outside
 * (absolute, ../.., loops, to a directory), redirect xattrs pointing outside or through a
 * symlinked directory, metacopy redirects to outside data. Lookup, copy-up, rename, link and
 * readdir are tried through the mount while strace watches every path the SERVER passes to the
 * kernel: none may be outside the layers, and the files outside keep content, times and owner.
 * (A client following a merged symlink itself is the kernel's business and is not tried.)
 * Then: copy-up never widens permissions.
 */
@Timeout(180)
class HostileLayersTest {
  TestMount t;
  Path outside;
  Server server;

  @BeforeEach
  void layers() throws Exception {
    FuseTestSupport.assumeFuseMounts();
    t = new TestMount();
    outside = Files.createDirectory(t.root.resolve("outside"));
    ReliabilitySupport.write(outside.resolve("secret"), "SECRET-outside".getBytes(), 0644);
    ReliabilitySupport.write(outside.resolve("dir/inner"), "INNER-outside".getBytes(), 0644);
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (server != null) {
      server.close();
    }
    if (t != null) {
      t.close();
    }
  }

  private void hostileLower() throws Exception {
    Path l1 = t.l1;
    Files.createSymbolicLink(l1.resolve("abs"), outside.resolve("secret"));
    Files.createSymbolicLink(l1.resolve("rel"), Path.of("../outside/secret"));
    Files.createSymbolicLink(l1.resolve("deep"), Path.of("../".repeat(12)
        + outside.resolve("secret").toString().substring(1)));
    Files.createSymbolicLink(l1.resolve("loop1"), Path.of("loop2"));
    Files.createSymbolicLink(l1.resolve("loop2"), Path.of("loop1"));
    Files.createSymbolicLink(l1.resolve("self"), Path.of("self"));
    Files.createSymbolicLink(l1.resolve("dirlink"), outside);
    Files.createSymbolicLink(l1.resolve("updir"), Path.of(".."));
    Files.createSymbolicLink(t.l2.resolve("dirlink2"), outside);
    ReliabilitySupport.write(t.l2.resolve("real/plain"), "plain".getBytes(), 0644);
    Map<String, String> redirects = new LinkedHashMap<>();
    redirects.put("redir-abs", "/../outside");
    redirects.put("redir-dotdot", "..");
    redirects.put("redir-rel", "../outside");
    redirects.put("redir-link", "/dirlink2");
    redirects.put("redir-via", "/dirlink2/dir");
    redirects.put("redir-ok", "/real");
    for (Map.Entry<String, String> r : redirects.entrySet()) {
      Files.createDirectory(l1.resolve(r.getKey()));
      FuseTestSupport.sh("setfattr -n trusted.overlay.redirect -v '" + r.getValue() + "' '"
          + l1.resolve(r.getKey()) + "'").ok();
    }
    // Metacopy files whose data "is" outside.
    for (String[] mc : new String[][] {{"mc-link", "/dirlink2/secret"},
        {"mc-dotdot", "/../outside/secret"}, {"mc-abs", outside.resolve("secret").toString()}}) {
      Path f = l1.resolve(mc[0]);
      FuseTestSupport.sh("truncate -s 14 '" + f + "' && setfattr -n trusted.overlay.metacopy '"
          + f + "' && setfattr -n trusted.overlay.redirect -v '" + mc[1] + "' '" + f + "'").ok();
    }
    // Old times on everything outside: any read by anyone would move the atime.
    FileTime old = FileTime.fromMillis(978_307_200_000L); // 2001-01-01
    for (Path p : List.of(outside, outside.resolve("secret"), outside.resolve("dir"),
        outside.resolve("dir/inner"))) {
      Files.setAttribute(p, "lastAccessTime", old);
      Files.setAttribute(p, "lastModifiedTime", old);
    }
  }

  /** content, mtime, atime, owner and mode of everything outside. */
  private Map<String, String> outsideState() throws Exception {
    Map<String, String> s = new LinkedHashMap<>();
    for (Path p : List.of(outside, outside.resolve("secret"), outside.resolve("dir"),
        outside.resolve("dir/inner"))) {
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,"
          + "lastAccessTime,size", LinkOption.NOFOLLOW_LINKS);
      s.put(outside.relativize(p).toString(), a.get("mode") + " " + a.get("uid") + ":"
          + a.get("gid") + " size " + a.get("size") + " m " + a.get("lastModifiedTime") + " a "
          + a.get("lastAccessTime"));
    }
    return s; // (reading the contents here would move their atimes)
  }

  private static final String PROBES = String.join("\n",
      "import os, sys, errno",
      "M = sys.argv[1]",
      "def r(desc, f):",
      "    try:",
      "        v = f()",
      "        print(desc, '->', 'ok' if v is None else 'ok %r' % (v,))",
      "    except OSError as e:",
      "        print(desc, '->', errno.errorcode.get(e.errno, str(e.errno)))",
      "    sys.stdout.flush()",
      "def P(p): return M + '/' + p",
      "def read(p): return open(P(p), 'rb').read()",
      "def append(p, d):",
      "    fd = os.open(P(p), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)",
      "    os.write(fd, d); os.close(fd)",
      "links = ['abs', 'rel', 'deep', 'loop1', 'self', 'dirlink', 'updir', 'dirlink2']",
      "redirs = ['redir-abs', 'redir-dotdot', 'redir-rel', 'redir-link', 'redir-via', 'redir-ok']",
      "r('listing', lambda: sorted(os.listdir(M)))",
      "for l in links:",
      "    r('lstat ' + l, lambda: oct(os.lstat(P(l)).st_mode))",
      "    r('readlink ' + l, lambda: os.readlink(P(l)))",
      "    r('open O_NOFOLLOW ' + l, lambda: os.close(os.open(P(l), os.O_RDONLY | os.O_NOFOLLOW)))",
      "r('stat loop1 (followed by the kernel)', lambda: os.stat(P('loop1')))",
      "for d in redirs:",
      "    r('listdir ' + d, lambda: sorted(os.listdir(P(d))))",
      "    r('stat ' + d + '/secret', lambda: os.lstat(P(d + '/secret')).st_size)",
      "    r('stat ' + d + '/dir/inner', lambda: os.lstat(P(d + '/dir/inner')).st_size)",
      "    r('read ' + d + '/secret', lambda: read(d + '/secret'))",
      "for m in ['mc-link', 'mc-dotdot', 'mc-abs']:",
      "    r('read ' + m, lambda: read(m))",
      "    r('append to ' + m, lambda: append(m, b'+'))",
      "    r('read again ' + m, lambda: read(m))",
      "# copy-up of the symlinks themselves",
      "for l in ['abs', 'rel', 'deep', 'dirlink']:",
      "    r('lchown ' + l, lambda: os.chown(P(l), 1000, 1000, follow_symlinks=False))",
      "    r('utime -h ' + l, lambda: os.utime(P(l), (1, 1), follow_symlinks=False))",
      "    r('lsetxattr ' + l, lambda: os.setxattr(P(l), 'trusted.t', b'v', follow_symlinks=False))",
      "r('append O_NOFOLLOW abs', lambda: append('abs', b'X'))",
      "r('append to redir-link/secret', lambda: append('redir-link/secret', b'new'))",
      "r('append to redir-via/inner', lambda: append('redir-via/inner', b'new'))",
      "r('append to redir-ok/plain', lambda: append('redir-ok/plain', b'+'))",
      "# rename and link",
      "r('rename abs', lambda: os.rename(P('abs'), P('abs-moved')))",
      "r('rename rel into redir-link', lambda: os.rename(P('rel'), P('redir-link/rel')))",
      "r('rename dirlink2', lambda: os.rename(P('dirlink2'), P('dirlink2-moved')))",
      "r('rename redir-link/secret', lambda: os.rename(P('redir-link/secret'), P('secret-moved')))",
      "r('link deep', lambda: os.link(P('deep'), P('deep-hard'), follow_symlinks=False))",
      "r('rename redir-ok', lambda: os.rename(P('redir-ok'), P('redir-ok2')))",
      "r('listing after', lambda: sorted(os.listdir(M)))",
      "r('readlink abs-moved', lambda: os.readlink(P('abs-moved')))",
      "for root, dirs, files in os.walk(M):",
      "    for f in files:",
      "        p = os.path.join(root, f)",
      "        if not os.path.islink(p):",
      "            try:",
      "                d = open(p, 'rb').read()",
      "                if b'outside' in d: print('LEAK', p, d)",
      "            except OSError as e:",
      "                print('walk read', p[len(M):], '->', errno.errorcode.get(e.errno))",
      "print('done')");

  @Test
  void theServerNeverTouchesAPathOutsideItsLayers() throws Exception {
    assumeTrue(ReliabilitySupport.hasCommand("strace"),
        "strace is missing (apt-get install -y strace): the server's paths cannot be watched");
    hostileLower();
    Map<String, String> before = outsideState();
    String options = t.options() + ",metacopy=on,redirect_dir=on";
    server = Server.start(options, t.merged, t.root.resolve("server.log"), List.of());
    Path trace = t.root.resolve("strace.log");
    Path straceErr = t.root.resolve("strace.err");
    Process strace = new ProcessBuilder("strace", "-f", "-e", "trace=%file", "-o",
        trace.toString(), "-p", String.valueOf(server.pid())).redirectErrorStream(true)
        .redirectOutput(straceErr.toFile()).start();
    assertTrue(MountCommand.await(() -> {
      try {
        return Files.exists(straceErr) && Files.readString(straceErr).contains("attached");
      } catch (java.io.IOException e) {
        return false;
      }
    }, 20), "strace attached");
    Thread.sleep(500); // every thread of the server
    List<String> out;
    try (PyWorker w = new PyWorker(PROBES, t.merged.toString())) {
      out = w.finish(120);
    }
    server.unmount();
    server = null;
    strace.waitFor(20, TimeUnit.SECONDS);
    strace.destroy();
    System.out.println("  hostile probes: " + String.join("\n    ", out));
    assertTrue(out.contains("done"), "the probes ran to the end: " + out);

    List<String> traced = Files.readAllLines(trace);
    assertTrue(traced.stream().anyMatch(l -> l.contains(t.l1.resolve("abs").toString())),
        "strace saw the server's own file calls (" + traced.size() + " lines)");
    List<String> escapes = traced.stream().filter(this::namesAPathOutside).toList();
    assertEquals(List.of(), escapes.subList(0, Math.min(20, escapes.size())),
        "no call of the server names a path outside its layers");
    assertEquals(before, outsideState(), "nothing outside was read, written, or changed owner");
    assertEquals("SECRET-outside", Files.readString(outside.resolve("secret")));
    assertEquals("INNER-outside", Files.readString(outside.resolve("dir/inner")));
    List<String> leaks = out.stream().filter(l -> l.startsWith("LEAK")).toList();
    assertEquals(List.of(), leaks, "no outside content in the merged view");
    for (String l : out) {
      assertTrue(!l.contains("SECRET") && !l.contains("INNER"), "no outside content: " + l);
    }
    // What the probes expect of a careful server, besides not escaping:
    assertTrue(out.contains("listdir redir-abs -> EIO") || out.contains("listdir redir-abs -> ok []"),
        "a redirect out of the layer is refused or leads nowhere: " + out);
    assertTrue(out.contains("readlink abs-moved -> ok '" + outside.resolve("secret") + "'"),
        "a copied-up symlink keeps its target");
    assertTrue(Files.isSymbolicLink(t.upper.resolve("abs-moved")));
    assertEquals(List.of(), ReliabilitySupport.names(t.work.resolve("work")));
  }

  /**
   * One directory with an invalid redirect must cost only itself: its parent still lists (the
   * kernel lists it and fails the lookup of that one name with EACCES).
   */
  @Test
  void aBadRedirectSpoilsOnlyItsOwnDirectory() throws Exception {
    Files.createDirectories(t.l1.resolve("bad"));
    Files.createDirectories(t.l1.resolve("good"));
    FuseTestSupport.sh("setfattr -n trusted.overlay.redirect -v '/../outside' '"
        + t.l1.resolve("bad") + "'").ok();
    String probe = ReliabilitySupport.python() + " -c \"import os, sys, errno\n"
        + "for p in ['', '/good', '/bad']:\n"
        + "    try: print(p or '/', sorted(os.listdir(sys.argv[1] + p)))\n"
        + "    except OSError as e: print(p or '/', errno.errorcode[e.errno])\" ";
    String mine;
    try (InProcessMount m = new InProcessMount(t.options() + ",redirect_dir=on", t.merged)) {
      mine = FuseTestSupport.sh(probe + "'" + t.merged + "'").ok().output();
    }
    System.out.println("  bad redirect, overlay4j: " + mine.strip().replace("\n", "; "));
    assertTrue(mine.startsWith("/ ['bad', 'good']\ngood []\n") || mine.startsWith(
        "/ ['bad', 'good']\n/good []\n"), "the parent of a directory with a bad redirect still"
        + " lists, and its siblings work: " + mine);
    assertTrue(mine.contains("/bad EIO") || mine.contains("/bad EACCES"), mine);
  }

  /**
   * A lower layer may hold metacopy files (an upper the kernel wrote with metacopy=on, now used
   * as a lower): their data is further down. A metadata-only copy-up of such a file (chmod) must
   * still lead to that data, never to the sparse stub's zeros, and a later write must copy the
   * real data.
   */
  @Test
  void aMetacopyStubInALowerLayerIsNeverTakenForData() throws Exception {
    Files.writeString(t.l2.resolve("f"), "hello");
    Files.writeString(t.l2.resolve("g"), "world");
    for (String n : List.of("f", "g")) {
      Path stub = t.l1.resolve(n);
      FuseTestSupport.sh("truncate -s 5 '" + stub + "' && setfattr -n trusted.overlay.metacopy '"
          + stub + "'").ok();
    }
    String script = "cd \"$1\" && cat f && echo && chmod 600 g && cat g && echo && echo '!' >> g"
        + " && cat g";
    Path s = t.root.resolve("mc.sh");
    Files.writeString(s, script);
    String mine;
    try (InProcessMount m = new InProcessMount(t.options() + ",metacopy=on", t.merged)) {
      mine = FuseTestSupport.run(List.of("sh", s.toString(), t.merged.toString())).output();
    }
    String upperG = Files.readString(t.upper.resolve("g")).replace("\0", "\\0");
    assumeTrue(ReliabilitySupport.kernelOverlayWorks(t.root), "no kernel overlayfs here");
    Path ku = Files.createDirectory(t.root.resolve("kupper"));
    Path kw = Files.createDirectory(t.root.resolve("kwork"));
    Path km = Files.createDirectory(t.root.resolve("kmerged"));
    String kernel;
    try (KernelMount k = new KernelMount("lowerdir=" + t.l1 + ":" + t.l2 + ",upperdir=" + ku
        + ",workdir=" + kw + ",metacopy=on", km)) {
      kernel = FuseTestSupport.run(List.of("sh", s.toString(), km.toString())).output();
    }
    assertEquals("hello\nworld\nworld!\n", kernel, "the kernel, for reference");
    assertEquals(kernel, mine.replace("\0", "\\0"), "overlay4j reads through a lower metacopy"
        + " stub to its data (upper g now holds [" + upperG + "])");
  }

  /** Calls whose first string argument is the only path (the rest is data: xattr values, link buffers). */
  private static final java.util.Set<String> FIRST_STRING_IS_THE_PATH = java.util.Set.of(
      "lgetxattr", "getxattr", "lsetxattr", "setxattr", "llistxattr", "listxattr", "readlink",
      "readlinkat", "lremovexattr", "removexattr");
  private static final java.util.regex.Pattern CALL = java.util.regex.Pattern.compile(
      "^\\d+\\s+(\\w+)\\((.*)$");
  private static final java.util.regex.Pattern STRING = java.util.regex.Pattern.compile(
      "\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** Whether a strace line shows the server passing the kernel a path outside the layers. */
  private boolean namesAPathOutside(String line) {
    java.util.regex.Matcher c = CALL.matcher(line);
    if (!c.find()) {
      return false;
    }
    String call = c.group(1);
    List<String> strings = new ArrayList<>();
    java.util.regex.Matcher m = STRING.matcher(c.group(2));
    while (m.find()) {
      strings.add(m.group(1));
    }
    if (strings.isEmpty()) {
      return false;
    }
    List<String> paths = FIRST_STRING_IS_THE_PATH.contains(call) ? strings.subList(0, 1)
        : call.startsWith("symlink") ? strings.subList(strings.size() - 1, strings.size())
        : strings; // a symlink's target is data, its own name is the path
    for (String p : paths) {
      if (p.startsWith(outside.toString()) || p.contains("/../") || p.endsWith("/..")) {
        return true;
      }
    }
    return false;
  }

  // ---- permissions ----

  private static final String PERMISSION_OPS = String.join("\n",
      "set -u",
      "M=$1",
      "u() { setpriv --reuid 1000 --regid 1000 --clear-groups \"$@\"; }",
      "r() { desc=$1; shift; if out=$(\"$@\" 2>&1); then echo \"$desc -> ok\"; else"
          + " echo \"$desc -> fail: ${out##*: }\"; fi; }",
      "r 'chown suid to 1000' chown 1000:1000 $M/suid",
      "r 'chown sgid group only' chgrp 1000 $M/sgid",
      "r 'root appends to a 4755 file of 1000' sh -c \"echo >> $M/usuid\"",
      "r 'user reads a 0600 root file' u cat $M/secret600",
      "r 'user appends to a 0644 root file' u sh -c \"echo x >> $M/ro644\"",
      "r 'user truncates a 0644 root file' u truncate -s 0 $M/ro644",
      "r 'user chmods a root file' u chmod 666 $M/ro644",
      "r 'user appends to a 0666 root file' u sh -c \"echo x >> $M/rw666\"",
      "r 'user creates in 1777 dir' u sh -c \"echo mine > $M/shared/f && mkdir $M/shared/d"
          + " && ln -s f $M/shared/l && mkfifo $M/shared/p\"",
      "r 'user deletes a root file in a 1777 dir' u rm -f $M/shared/rootfile",
      "r 'user lists a 0700 dir of root' u ls $M/private",
      "r 'root appends into a 0700 dir of 1000' sh -c \"echo x >> $M/priv1000/f\"",
      "r 'user writes a 0644 file in a 0700 dir of 1000' u sh -c \"echo x >> $M/priv1000/g\"",
      "");

  @Test
  void copyUpNeverWidensPermissions() throws Exception {
    write("suid", 06755, 0, 0);
    write("sgid", 02775, 0, 0);
    write("usuid", 04755, 1000, 1000);
    write("secret600", 0600, 0, 0);
    write("ro644", 0644, 0, 0);
    write("rw666", 0666, 0, 0);
    ReliabilitySupport.mkdirs(t.l1.resolve("shared"), 01777);
    write("shared/rootfile", 0644, 0, 0);
    ReliabilitySupport.mkdirs(t.l1.resolve("private"), 0700);
    write("private/x", 0644, 0, 0);
    ReliabilitySupport.mkdirs(t.l2.resolve("priv1000"), 0700);
    FuseTestSupport.sh("chown 1000:1000 '" + t.l2.resolve("priv1000") + "'").ok();
    write2("priv1000/f", 0644, 1000, 1000);
    write2("priv1000/g", 0644, 1000, 1000);
    Path script = t.root.resolve("perm.sh");
    Files.writeString(script, PERMISSION_OPS);

    List<String> mine;
    try (InProcessMount m = new InProcessMount(t.options(), t.merged)) {
      mine = FuseTestSupport.run(List.of("sh", script.toString(), t.merged.toString())).output()
          .lines().toList();
    }
    Map<String, String> myUpper = attributes(t.upper);
    System.out.println("  permissions, overlay4j: " + mine + "\n    upper " + myUpper);

    // The kernel over the same lowers, a fresh upper: the reference.
    assumeTrue(ReliabilitySupport.kernelOverlayWorks(t.root), "no kernel overlayfs here");
    Path ku = Files.createDirectory(t.root.resolve("kupper"));
    Path kw = Files.createDirectory(t.root.resolve("kwork"));
    Path km = Files.createDirectory(t.root.resolve("kmerged"));
    Files.setPosixFilePermissions(km, java.nio.file.attribute.PosixFilePermissions.fromString(
        "rwxr-xr-x"));
    List<String> kernel;
    try (KernelMount k = new KernelMount("lowerdir=" + t.l1 + ":" + t.l2 + ",upperdir=" + ku
        + ",workdir=" + kw, km)) {
      kernel = FuseTestSupport.run(List.of("sh", script.toString(), km.toString())).output()
          .lines().toList();
    }
    Map<String, String> kernelUpper = attributes(ku);
    System.out.println("  permissions, kernel:    " + kernel + "\n    upper " + kernelUpper);
    List<String> diff = new ArrayList<>();
    for (int i = 0; i < Math.max(mine.size(), kernel.size()); i++) {
      String a = i < mine.size() ? mine.get(i) : "";
      String b = i < kernel.size() ? kernel.get(i) : "";
      if (!a.equals(b)) {
        diff.add("overlay4j: " + a + " | kernel: " + b);
      }
    }
    for (String key : new java.util.TreeSet<>(kernelUpper.keySet())) {
      if (!kernelUpper.get(key).equals(myUpper.get(key))) {
        diff.add("upper " + key + ": overlay4j " + myUpper.get(key) + " | kernel "
            + kernelUpper.get(key));
      }
    }
    for (String key : myUpper.keySet()) {
      if (!kernelUpper.containsKey(key)) {
        diff.add("upper " + key + ": only overlay4j has it: " + myUpper.get(key));
      }
    }
    assertEquals(List.of(), diff, "permissions and owners as the kernel's overlayfs");
    // And in so many words:
    assertEquals("0755 1000:1000", myUpper.get("suid").substring(2),
        "chown to another owner cleared setuid and setgid");
    assertTrue(!myUpper.containsKey("secret600") && !myUpper.containsKey("ro644"),
        "a refused open copied nothing up");
    assertEquals("f 0666 0:0", myUpper.get("rw666"), "a user's write keeps root's owner and mode");
    assertEquals("f 0644 1000:1000", myUpper.get("shared/f"));
    assertEquals("d 0700 1000:1000", myUpper.get("priv1000"), "a copied-up parent keeps its mode");
  }

  private void write(String rel, int mode, int uid, int gid) throws Exception {
    ReliabilitySupport.write(t.l1.resolve(rel), (rel + "\n").getBytes(), 0644);
    own(t.l1.resolve(rel), mode, uid, gid);
  }

  private void write2(String rel, int mode, int uid, int gid) throws Exception {
    ReliabilitySupport.write(t.l2.resolve(rel), (rel + "\n").getBytes(), 0644);
    own(t.l2.resolve(rel), mode, uid, gid);
  }

  private static void own(Path p, int mode, int uid, int gid) throws Exception {
    FuseTestSupport.sh("chown " + uid + ":" + gid + " '" + p + "' && chmod "
        + Integer.toOctalString(mode) + " '" + p + "'").ok();
  }

  /** type, mode and owner of everything in an upper directory (whiteouts as "c"). */
  private static Map<String, String> attributes(Path upper) throws Exception {
    Map<String, String> out = new java.util.TreeMap<>();
    try (var s = Files.walk(upper)) {
      for (Path p : s.filter(p -> !p.equals(upper)).toList()) {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid",
            LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String type = switch (mode & 0170000) {
          case 0040000 -> "d";
          case 0120000 -> "l";
          case 0020000 -> "c";
          case 0010000 -> "p";
          default -> "f";
        };
        out.put(upper.relativize(p).toString(), type + " " + String.format("%04o", mode & 07777)
            + " " + a.get("uid") + ":" + a.get("gid"));
      }
    }
    return out;
  }
}
