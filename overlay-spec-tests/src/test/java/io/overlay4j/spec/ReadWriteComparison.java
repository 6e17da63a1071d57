package io.overlay4j.spec;

import io.overlay4j.core.Overlay;
import io.overlay4j.core.config.OverlayConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The read-write differential check: one shell script applied inside a mount of the kernel's
 * overlay and inside a mount of another implementation, each over a fresh copy of
 * {@link RwFixture}; then the script's output, the merged views and the upper directories are
 * compared, and each implementation's upper is read back by the other side.
 *
 * <h2>What is compared, and what is not</h2>
 *
 * Compared: each line's output, error output and exit status (see {@link Scripts#traced}); the
 * merged views, every field of {@link TreeSnapshot}; the upper directories, every field. The
 * copies are separate ({@code cp -a} of one template), so some values cannot be equal between
 * them and are normalised — nothing else is ignored:
 * <ul>
 *   <li><b>ctime</b> is never compared between copies: it cannot be set, so every object of two
 *       copies has a different one. (Read-backs of the same directories compare it.)
 *   <li><b>mtime</b>: the fixture sets every mtime to {@link RwFixture#MTIME}; a time inside the
 *       window the script ran in (plus two seconds either side, for the file system's coarse
 *       clock) is shown as {@link #DURING_RUN} ({@code 1970-01-01T00:00:00Z}), any other value
 *       is compared exactly. So "unchanged", "set by touch -d" and "changed by the operation"
 *       must agree, and copy-up must keep times.
 *   <li><b>st_ino</b> of the merged view is compared as the layer object it names: the first
 *       path (sorted) carrying that inode number in the implementation's own upper, l1 or l2,
 *       like {@code l2:dir/f1} or {@code upper:new}. In upper directories, inode numbers are
 *       compared as hard-link groups (the first path of the group).
 *   <li>In upper directories, {@code trusted.overlay.origin} (a file handle of the lower object,
 *       different in each copy) and {@code trusted.overlay.uuid} (a random id of the upper
 *       layer) are compared as present or absent, not by value. Every other xattr
 *       ({@code opaque}, {@code redirect}, {@code impure}, {@code metacopy}, user xattrs) is
 *       compared by value.
 *   <li>The link count and mtime of a whiteout (char 0/0) in upper are not compared: the kernel
 *       makes all its whiteouts hard links of one inode ({@code work/work/#N}), and a rename
 *       over a whiteout exchanges the two, so the source's new whiteout is the target's old one
 *       with its old mtime — storage details that change nothing any reader of the upper can
 *       see. A whiteout's mode, owner and device number are compared.
 *   <li>The work directory is not compared (the kernel keeps its shared whiteout inode there).
 * </ul>
 *
 * <p>The kernel writes to a pre-populated upper during plain lookups: {@code origin} on an upper
 * directory merged with a lower one, {@code impure} and {@code uuid} on the upper root. So that
 * this does not count as a difference (overlay4j does not write during lookups), every copy is
 * first mounted by the kernel and walked once before the script runs: all implementations start
 * from the upper as the kernel leaves it after a lookup, and whatever they write afterwards is
 * compared in full.
 */
final class ReadWriteComparison {
  /** How an mtime set while the script ran is shown after normalisation. */
  static final long DURING_RUN = 0;
  private static final long SLACK_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final String PRESENT_HEX = HexFormat.of().formatHex(
      "<present>".getBytes(StandardCharsets.US_ASCII));
  /** Compared as present or absent in upper directories (see the class comment). */
  private static final Set<String> PRESENCE_ONLY_XATTRS = Set.of("trusted.overlay.origin",
      "trusted.overlay.uuid");
  /** Fields never compared between separately built copies. */
  static final Set<TreeSnapshot.Field> ACROSS_COPIES_IGNORED = EnumSet.of(
      TreeSnapshot.Field.CTIME, TreeSnapshot.Field.INO);

  private ReadWriteComparison() {}

  /** What one implementation did with one script. */
  record Run(String impl, RwFixture.Layers layers, String options, Shell.Result script,
      TreeSnapshot merged, TreeSnapshot upper, long startNanos, long endNanos,
      Map<Long, String> inodeNames, List<TreeSnapshot> lowersBefore, List<String> problems) {

    /**
     * Every change of a lower layer since before the script ran (call it last: it covers
     * whatever read the directories afterwards too).
     */
    List<String> lowerLayerChanges() throws IOException {
      List<String> out = new ArrayList<>();
      checkLowersUnchanged(layers, lowersBefore, impl + "'s run changed", out);
      return out;
    }

    /** The merged view normalised for comparison with another copy. */
    TreeSnapshot normalisedMerged() {
      return map(merged, e -> withMtime(e, normaliseTime(e.mtimeNanos())));
    }

    /** The upper directory normalised for comparison with another copy. */
    TreeSnapshot normalisedUpper() {
      return map(upper, e -> {
        Entry2 x = new Entry2(e);
        x.mtime = normaliseTime(e.mtimeNanos());
        if (isWhiteout(e)) {
          x.nlink = -1;
          x.mtime = -1;
        }
        if (e.xattrs() != null) {
          SortedMap<String, String> xa = new TreeMap<>(e.xattrs());
          for (String n : PRESENCE_ONLY_XATTRS) {
            xa.computeIfPresent(n, (k, v) -> PRESENT_HEX);
          }
          x.xattrs = xa;
        }
        return x.build();
      });
    }

    private long normaliseTime(long nanos) {
      return nanos >= startNanos - SLACK_NANOS && nanos <= endNanos + SLACK_NANOS
          ? DURING_RUN : nanos;
    }

    /** The layer object an st_ino of the merged view names. */
    String inodeName(long ino) {
      String n = inodeNames.get(ino);
      return n == null ? "unknown inode " + ino : n;
    }
  }

  /**
   * Builds a fresh fixture copy in {@code scratch/impl}, lets the kernel look everything up
   * once, then mounts it with {@code command} (options: the fixture's plus {@code extraOptions}),
   * runs {@code script} in the mount root, snapshots the merged view, unmounts and snapshots the
   * upper directory. {@link Run#lowerLayerChanges} tells whether a lower layer changed.
   */
  static Run run(Scratch scratch, String impl, MountedTree.MountCommand command,
      String extraOptions, String script) throws IOException {
    RwFixture.Layers layers = RwFixture.copyLookedUp(scratch, impl, extraOptions);
    String options = layers.options(extraOptions);
    Path mp = scratch.dir(impl + "/merged");
    List<TreeSnapshot> lowersBefore = new ArrayList<>();
    for (Path l : layers.lowers()) {
      lowersBefore.add(TreeSnapshot.ofDirectory(l).withLabel("before"));
    }
    long start;
    long end;
    Shell.Result result;
    TreeSnapshot merged;
    List<String> problems = new ArrayList<>();
    try (MountedTree m = MountedTree.mount(command, options, mp)) {
      start = nowNanos();
      result = m.sh(script);
      end = nowNanos();
      try {
        merged = m.snapshot().withLabel(impl);
      } catch (IOException | UncheckedIOException | DirectoryIteratorException e) {
        problems.add(impl + ": the merged view cannot be read after the script: " + e);
        merged = new TreeSnapshot(impl, Map.of());
      }
    }
    TreeSnapshot upper = TreeSnapshot.ofDirectory(layers.upper()).withLabel(impl);
    Map<Long, String> names = new HashMap<>();
    nameInodes("upper", upper, names);
    nameInodes("l1", lowersBefore.get(0), names);
    nameInodes("l2", lowersBefore.get(1), names);
    return new Run(impl, layers, options, result, merged, upper, start, end, names,
        lowersBefore, problems);
  }

  static void checkLowersUnchanged(RwFixture.Layers layers, List<TreeSnapshot> before,
      String what, List<String> problems) throws IOException {
    for (int i = 0; i < before.size(); i++) {
      Path l = layers.lowers().get(i);
      for (String d : before.get(i).diff(TreeSnapshot.ofDirectory(l).withLabel("after"))) {
        problems.add(what + " lower layer " + l + ": " + d);
      }
    }
  }

  /**
   * Every difference between two runs of the same script, one line each, by section: the
   * script's exit code and output, the merged view, the upper directory.
   */
  static List<String> differences(Run reference, Run other) {
    List<String> out = new ArrayList<>();
    Shell.Result a = reference.script();
    Shell.Result b = other.script();
    if (a.exitCode() != b.exitCode()) {
      out.add("script exit code: " + reference.impl() + "=" + a.exitCode() + " " + other.impl()
          + "=" + b.exitCode());
    }
    if (!a.out().equals(b.out())) {
      out.add("script stdout:\n    " + reference.impl() + ": " + indent(a.out()) + "\n    "
          + other.impl() + ": " + indent(b.out()));
    }
    if (!a.stderr().equals(b.stderr())) {
      out.add("script stderr:\n    " + reference.impl() + ": " + indent(a.stderr()) + "\n    "
          + other.impl() + ": " + indent(b.stderr()));
    }
    TreeSnapshot ma = reference.normalisedMerged();
    TreeSnapshot mb = other.normalisedMerged();
    for (String d : ma.diff(mb, ACROSS_COPIES_IGNORED)) {
      out.add("merged " + d);
    }
    for (Map.Entry<String, TreeSnapshot.Entry> e : ma.entries().entrySet()) {
      TreeSnapshot.Entry y = mb.get(e.getKey());
      if (y == null || e.getValue().type().listedOnly() || y.type().listedOnly()) {
        continue;
      }
      String ia = reference.inodeName(e.getValue().ino());
      String ib = other.inodeName(y.ino());
      if (!ia.equals(ib)) {
        out.add("merged " + TreeSnapshot.showPath(e.getKey()) + ": ino names: "
            + reference.impl() + "=" + ia + " " + other.impl() + "=" + ib);
      }
    }
    TreeSnapshot ua = reference.normalisedUpper().withLabel(reference.impl());
    TreeSnapshot ub = other.normalisedUpper().withLabel(other.impl());
    for (String d : ua.diff(ub, ACROSS_COPIES_IGNORED)) {
      out.add("upper " + d);
    }
    Map<String, String> ga = hardLinkGroups(reference.upper());
    Map<String, String> gb = hardLinkGroups(other.upper());
    for (String p : ua.entries().keySet()) {
      if (ub.get(p) == null) {
        continue;
      }
      String x = ga.getOrDefault(p, "(no other link)");
      String y = gb.getOrDefault(p, "(no other link)");
      if (!x.equals(y)) {
        out.add("upper " + TreeSnapshot.showPath(p) + ": hard-link group: " + reference.impl()
            + "=" + x + " " + other.impl() + "=" + y);
      }
    }
    return out;
  }

  /**
   * Reads the directories a run left behind with both readers: overlay4j's API (a fresh
   * {@link Overlay#open} with the run's options) and the kernel (a read-only mount with the
   * same options). Both read the same directories, so every field must agree, ctime and inode
   * numbers included; overlay4j must not change upper or work while only reading.
   */
  static ReadBack readBack(Run run, Path mountPoint) throws IOException {
    return readBack(run.layers(), run.options(), mountPoint);
  }

  /** {@link #readBack(Run, Path)} of any layer directories and options. */
  static ReadBack readBack(RwFixture.Layers layers, String options, Path mountPoint)
      throws IOException {
    List<String> out = new ArrayList<>();
    TreeSnapshot upperBefore = TreeSnapshot.ofDirectory(layers.upper()).withLabel("before");
    TreeSnapshot mine;
    try (Overlay o = Overlay.open(OverlayConfig.parse(options))) {
      mine = TreeSnapshot.ofOverlay("overlay4j (Overlay.open)", o);
    } catch (IOException | UncheckedIOException | DirectoryIteratorException e) {
      out.add("Overlay.open over these directories fails to read them: " + e);
      mine = null;
    }
    // Opening cleans work/work as the kernel's mount does, which unlinks the kernel's shared
    // whiteout inode there: whiteouts in upper then count one link less (and change ctime).
    TreeSnapshot upperAfter = TreeSnapshot.ofDirectory(layers.upper()).withLabel("after");
    for (String d : upperBefore.diff(upperAfter, EnumSet.of(TreeSnapshot.Field.NLINK,
        TreeSnapshot.Field.CTIME))) {
      out.add("overlay4j changed the upper while only reading it: " + d);
    }
    for (Map.Entry<String, TreeSnapshot.Entry> e : upperBefore.entries().entrySet()) {
      TreeSnapshot.Entry after = upperAfter.get(e.getKey());
      TreeSnapshot.Entry before = e.getValue();
      if (after != null && !isWhiteout(before) && !before.type().listedOnly()
          && (before.nlink() != after.nlink() || before.ctimeNanos() != after.ctimeNanos())) {
        out.add("overlay4j changed the upper while only reading it: "
            + TreeSnapshot.showPath(e.getKey()) + ": nlink/ctime: before=" + before.nlink() + "/"
            + before.ctimeNanos() + " after=" + after.nlink() + "/" + after.ctimeNanos());
      }
    }
    TreeSnapshot kernel;
    long since = nowNanos();
    try (MountedTree m = KernelOverlay.mount("ro," + options, mountPoint)) {
      kernel = m.snapshot().withLabel("kernel (ro mount)");
    } catch (IOException | UncheckedIOException | DirectoryIteratorException e) {
      out.add("the kernel fails to read these directories: " + e.getMessage()
          + KernelLog.overlayLinesSince(since));
      kernel = null;
    }
    if (kernel != null && mine != null) {
      for (String d : kernel.diff(mine)) {
        out.add("read back " + d);
      }
    }
    return new ReadBack(kernel, mine, out);
  }

  /** What {@link #readBack} saw: the kernel's and overlay4j's views, and every problem. */
  record ReadBack(TreeSnapshot kernel, TreeSnapshot overlay4j, List<String> problems) {}

  /** A failure message: what was run, then every difference. */
  static String report(String what, String script, List<String> differences) {
    StringBuilder sb = new StringBuilder(what).append(": ").append(differences.size())
        .append(differences.size() == 1 ? " difference" : " differences").append("\n  script:\n")
        .append("    ").append(script.strip().replace("\n", "\n    ")).append('\n');
    for (String d : differences.subList(0, Math.min(200, differences.size()))) {
      sb.append("  ").append(d.replace("\n", "\n  ")).append('\n');
    }
    if (differences.size() > 200) {
      sb.append("  ... ").append(differences.size() - 200).append(" more\n");
    }
    sb.append("  (mtime ").append(Instant.EPOCH).append(" = set while the script ran; ctime "
        + "and raw inode numbers are not compared across copies)\n");
    return sb.toString();
  }

  // ---- helpers ----

  static boolean isWhiteout(TreeSnapshot.Entry e) {
    return e.type() == TreeSnapshot.Type.CHAR_DEVICE && e.rdev() == 0;
  }

  /** For each non-directory, non-whiteout path with st_nlink above 1: the first path of its group. */
  static Map<String, String> hardLinkGroups(TreeSnapshot s) {
    Map<Long, String> first = new HashMap<>();
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, TreeSnapshot.Entry> e : s.entries().entrySet()) {
      TreeSnapshot.Entry x = e.getValue();
      if (x.type().listedOnly() || x.type() == TreeSnapshot.Type.DIRECTORY || isWhiteout(x)
          || x.nlink() < 2) {
        continue;
      }
      out.put(e.getKey(), first.computeIfAbsent(x.ino(), i -> e.getKey()));
    }
    return out;
  }

  private static void nameInodes(String layer, TreeSnapshot s, Map<Long, String> out) {
    for (Map.Entry<String, TreeSnapshot.Entry> e : s.entries().entrySet()) {
      if (!e.getValue().type().listedOnly()) {
        out.putIfAbsent(e.getValue().ino(), layer + ":" + TreeSnapshot.showPath(e.getKey()));
      }
    }
  }

  static TreeSnapshot map(TreeSnapshot s, UnaryOperator<TreeSnapshot.Entry> f) {
    Map<String, TreeSnapshot.Entry> out = new TreeMap<>();
    for (Map.Entry<String, TreeSnapshot.Entry> e : s.entries().entrySet()) {
      out.put(e.getKey(), e.getValue().type().listedOnly() ? e.getValue() : f.apply(e.getValue()));
    }
    return new TreeSnapshot(s.label(), out);
  }

  private static TreeSnapshot.Entry withMtime(TreeSnapshot.Entry e, long mtime) {
    Entry2 x = new Entry2(e);
    x.mtime = mtime;
    return x.build();
  }

  static long nowNanos() {
    Instant i = Instant.now();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  private static String indent(String s) {
    return s.strip().isEmpty() ? "(empty)" : s.strip().replace("\n", "\n      ");
  }

  /** A mutable copy of an entry, for normalising a few fields. */
  private static final class Entry2 {
    final TreeSnapshot.Entry e;
    long mtime;
    int nlink;
    SortedMap<String, String> xattrs;

    Entry2(TreeSnapshot.Entry e) {
      this.e = e;
      this.mtime = e.mtimeNanos();
      this.nlink = e.nlink();
      this.xattrs = e.xattrs();
    }

    TreeSnapshot.Entry build() {
      return new TreeSnapshot.Entry(e.type(), e.mode(), e.uid(), e.gid(), e.size(), e.sha256(),
          e.target(), e.rdev(), e.ino(), nlink, xattrs, mtime, e.ctimeNanos(), e.error());
    }
  }
}
