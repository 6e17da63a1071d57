package io.overlay4j.bench;

import io.overlay4j.core.os.OsAccess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The layers every implementation of an end-to-end run works on, built once per run from real
 * trees on this machine plus generated files:
 *
 * <pre>
 * DIR/layers/base     lower: copies of real trees (usr/share/doc, usr/lib/python3.X, ...) and
 *                     gen/ (the generated workload files, one copy per repetition: r0, r1, ...)
 * DIR/layers/app      lower above base: every 5th entry of each real tree again (same names,
 *                     so those directories are merged) and the other half of gen/bigdir with
 *                     whiteouts of 250 base names
 * DIR/data/           the tar archive to untar and the path lists the workloads read
 * </pre>
 *
 * The merged view has gen/bigdir with exactly {@link #BIGDIR_ENTRIES} entries: base holds
 * f00000-f02999 and w0000-w0249, app holds f02500-f04999 (500 names overlap) and whiteouts of
 * w0000-w0249.
 */
final class E2eLayers {
  static final int BIGDIR_ENTRIES = 5000;
  private static final int BIGDIR_BASE = 3000;
  private static final int BIGDIR_APP_FROM = 2500;
  private static final int BIGDIR_WHITEOUTS = 250;
  private static final int SMALL = 4096;

  /** Workload sizes; {@link #quick()} shrinks them so a run takes a few minutes. */
  record Sizes(boolean quickMode, int reps, long bigFileBytes, int copyUpFiles, int chmodFiles, int unlinkFiles,
      int createFiles, int readFiles, int statPaths, int statPasses, int realTreeBudget) {
    static Sizes full() {
      return new Sizes(false, 5, 256L << 20, 500, 500, 500, 2000, 2000, 1000, 100, 60_000);
    }

    static Sizes quick() {
      return new Sizes(true, 3, 64L << 20, 200, 200, 200, 500, 500, 500, 50, 12_000);
    }
  }

  final Path dir;
  final Path base;
  final Path app;
  final Path data;
  final Sizes sizes;
  /** Facts about the trees, for the result file. */
  final Map<String, Object> facts = new LinkedHashMap<>();

  E2eLayers(Path dir, Sizes sizes) {
    this.dir = dir;
    this.base = dir.resolve("layers/base");
    this.app = dir.resolve("layers/app");
    this.data = dir.resolve("data");
    this.sizes = sizes;
  }

  Path archive() {
    return data.resolve("untar.tar");
  }

  Path list(String name) {
    return data.resolve(name + ".txt");
  }

  /** The relative paths (in the merged view) of the stat-storm workload. */
  List<String> statPaths() throws IOException {
    return Files.readAllLines(list("stat"));
  }

  void build() throws IOException {
    Sh.bash("rm -rf " + Sh.q(dir.resolve("layers")) + " " + Sh.q(data));
    Files.createDirectories(base);
    Files.createDirectories(app);
    Files.createDirectories(data);
    copyRealTrees();
    generateBigDir();
    generatePerRep();
    Path seq = base.resolve("gen/big.bin");
    writeRandom(seq, sizes.bigFileBytes(), 42);
    makeArchive();
    makeLists();
  }

  /** Copies real trees into base until the entry budget is reached; every 5th child into app. */
  private void copyRealTrees() {
    List<String> sources = new ArrayList<>();
    long entries = 0;
    for (String candidate : realTreeCandidates()) {
      if (entries >= sizes.realTreeBudget()) {
        break;
      }
      long n = Long.parseLong(Sh.bash("find " + Sh.q(candidate) + " | wc -l"));
      if (!sources.isEmpty() && entries + n > sizes.realTreeBudget() * 3L / 2) {
        continue; // too big for this budget: try the smaller trees after it
      }
      Sh.bash("mkdir -p " + Sh.q(base + parent(candidate)) + " && cp -a " + Sh.q(candidate)
          + " " + Sh.q(base + parent(candidate)) + "/");
      // The same names again one layer up: these directories are merged across both lowers.
      String appDest = app + candidate;
      Sh.bash("mkdir -p " + Sh.q(appDest) + " && cd " + Sh.q(candidate)
          + " && ls -A | LC_ALL=C sort | awk 'NR%5==0' | while IFS= read -r c; do cp -a \"$c\" "
          + Sh.q(appDest) + "/; done");
      sources.add(candidate);
      entries += n;
    }
    facts.put("real_trees", sources);
    facts.put("real_tree_entries", entries);
  }

  private static String parent(String abs) {
    return abs.substring(0, abs.lastIndexOf('/'));
  }

  /** Real trees most Debian-like systems have, biggest-value first; missing ones are skipped. */
  private static List<String> realTreeCandidates() {
    List<String> out = new ArrayList<>();
    out.add("/usr/share/doc");
    out.addAll(pythonLibs());
    for (String d : List.of("/usr/share/man", "/usr/share/perl", "/usr/share/zoneinfo",
        "/usr/share/locale", "/usr/share/i18n", "/usr/include")) {
      out.add(d);
    }
    return out.stream().filter(d -> Files.isDirectory(Path.of(d))).collect(Collectors.toList());
  }

  private static List<String> pythonLibs() {
    try (Stream<Path> s = Files.list(Path.of("/usr/lib"))) {
      return s.map(Path::toString).filter(p -> p.matches("/usr/lib/python3\\.\\d+"))
          .sorted().collect(Collectors.toList());
    } catch (IOException e) {
      return List.of();
    }
  }

  private void generateBigDir() throws IOException {
    Path b = Files.createDirectories(base.resolve("gen/bigdir"));
    Path a = Files.createDirectories(app.resolve("gen/bigdir"));
    byte[] content = new byte[64];
    for (int i = 0; i < BIGDIR_BASE; i++) {
      Files.write(b.resolve(String.format("f%05d", i)), content);
    }
    for (int i = BIGDIR_APP_FROM; i < BIGDIR_ENTRIES; i++) {
      Files.write(a.resolve(String.format("f%05d", i)), content);
    }
    OsAccess os = OsAccess.system();
    for (int i = 0; i < BIGDIR_WHITEOUTS; i++) {
      String name = String.format("w%04d", i);
      Files.write(b.resolve(name), content);
      os.mknod(a.resolve(name), OsAccess.S_IFCHR | 0644, 0); // the kernel's whiteout: c 0/0
    }
    facts.put("bigdir_entries_merged", BIGDIR_ENTRIES);
    facts.put("bigdir_whiteouts", BIGDIR_WHITEOUTS);
  }

  /** One copy of every mutating workload's targets per repetition: no remount between them. */
  private void generatePerRep() throws IOException {
    byte[] small = new byte[SMALL];
    new SplittableRandom(7).nextBytes(small);
    String rmSource = rmTreeSource();
    for (int r = 0; r < sizes.reps(); r++) {
      Path g = base.resolve("gen/r" + r);
      writeFiles(g.resolve("smallcopy"), sizes.copyUpFiles(), small);
      writeFiles(g.resolve("chmod"), sizes.chmodFiles(), small);
      writeFiles(g.resolve("unlink"), sizes.unlinkFiles(), small);
      Files.createDirectories(g.resolve("create"));
      Files.createDirectories(g.resolve("untar"));
      writeRandom(g.resolve("big.bin"), sizes.bigFileBytes(), 100 + r);
      Sh.bash("cp -a " + Sh.q(rmSource) + " " + Sh.q(g.resolve("rmtree")));
    }
    facts.put("rm_tree_source", rmSource);
    facts.put("rm_tree_entries", Long.parseLong(Sh.bash("find " + Sh.q(rmSource) + " | wc -l")));
  }

  private static String rmTreeSource() {
    for (String d : List.of("/usr/share/zoneinfo", "/usr/share/i18n", "/usr/share/perl",
        "/usr/share/doc")) {
      if (Files.isDirectory(Path.of(d))) {
        return d;
      }
    }
    throw new IllegalStateException("no real tree to copy for the rm -r workload");
  }

  private static void writeFiles(Path d, int n, byte[] content) throws IOException {
    Files.createDirectories(d);
    for (int i = 0; i < n; i++) {
      Files.write(d.resolve(String.format("f%04d", i)), content);
    }
  }

  /** Incompressible data, so no layer or device can shortcut it. */
  private static void writeRandom(Path f, long bytes, long seed) throws IOException {
    Files.createDirectories(f.getParent());
    SplittableRandom rnd = new SplittableRandom(seed);
    byte[] buf = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(f)) {
      for (long done = 0; done < bytes; done += buf.length) {
        rnd.nextBytes(buf);
        out.write(buf, 0, (int) Math.min(buf.length, bytes - done));
      }
    }
  }

  /** A real tar of a real tree: what unpacking a package or an image layer does. */
  private void makeArchive() {
    List<String> candidates = !sizes.quickMode()
        ? List.of("/usr/share/perl", "/usr/share/i18n", "/usr/share/zoneinfo")
        : List.of("/usr/share/i18n", "/usr/share/zoneinfo", "/usr/share/perl");
    List<String> py = pythonLibs();
    String src = null;
    if (!sizes.quickMode() && !py.isEmpty()) {
      src = py.get(py.size() - 1);
    }
    for (String c : candidates) {
      if (src == null && Files.isDirectory(Path.of(c))) {
        src = c;
      }
    }
    if (src == null) {
      src = "/usr/share/doc";
    }
    Sh.bash("tar -C " + Sh.q(parent(src)) + " -cf " + Sh.q(archive()) + " "
        + Sh.q(src.substring(src.lastIndexOf('/') + 1)));
    facts.put("untar_source", src);
    facts.put("untar_entries", Long.parseLong(Sh.bash("tar -tf " + Sh.q(archive()) + " | wc -l")));
    facts.put("untar_bytes", archive().toFile().length());
  }

  /** Path lists: small real files to read, paths to stat, lower files to chmod and unlink. */
  private void makeLists() throws IOException {
    // Regular files under 64 KiB of the real trees, as the merged view has them (base and app
    // hold the same content for overlapping names, so base's listing plus app's is the union).
    String all = Sh.bash("cd " + Sh.q(base) + " && find usr -type f -size -64k | LC_ALL=C sort");
    List<String> files = all.isEmpty() ? List.of() : List.of(all.split("\n"));
    Sh.writeLines(list("read"), spread(files, sizes.readFiles()));
    Sh.writeLines(list("stat"), spread(files, sizes.statPaths()));
    for (int r = 0; r < sizes.reps(); r++) {
      List<String> chmod = new ArrayList<>();
      List<String> unlink = new ArrayList<>();
      for (int i = 0; i < sizes.chmodFiles(); i++) {
        chmod.add(String.format("gen/r%d/chmod/f%04d", r, i));
      }
      for (int i = 0; i < sizes.unlinkFiles(); i++) {
        unlink.add(String.format("gen/r%d/unlink/f%04d", r, i));
      }
      Sh.writeLines(list("chmod-r" + r), chmod);
      Sh.writeLines(list("unlink-r" + r), unlink);
    }
    facts.put("small_files_read", Math.min(files.size(), sizes.readFiles()));
    facts.put("read_bytes", Long.parseLong(Sh.bash("cd " + Sh.q(base)
        + " && xargs -d '\\n' -a " + Sh.q(list("read")) + " cat | wc -c")));
  }

  /** {@code n} entries spread evenly over {@code all}, so every tree is represented. */
  private static List<String> spread(List<String> all, int n) {
    if (all.size() <= n) {
      return all;
    }
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(all.get((int) ((long) i * all.size() / n)));
    }
    return out;
  }

  /**
   * Makes the plain-filesystem baseline at {@code target}: base, then app over it, whiteouts
   * removed together with the names they hide. The same tree the overlays show.
   */
  void copyMergedTo(Path target) {
    Sh.bash("rm -rf " + Sh.q(target) + " && mkdir -p " + Sh.q(target)
        + " && cp -a " + Sh.q(base) + "/. " + Sh.q(target) + "/"
        + " && cp -a " + Sh.q(app) + "/. " + Sh.q(target) + "/"
        + " && find " + Sh.q(target) + " -type c -delete");
    Sh.bash("n=$(ls -A " + Sh.q(target.resolve("gen/bigdir")) + " | wc -l); [ \"$n\" = "
        + BIGDIR_ENTRIES + " ] || { echo \"plain bigdir has $n entries\" >&2; exit 1; }");
  }
}
