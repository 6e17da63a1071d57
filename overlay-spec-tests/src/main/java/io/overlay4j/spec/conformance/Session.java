package io.overlay4j.spec.conformance;

import io.overlay4j.spec.TreeSnapshot;
import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.Model;
import io.overlay4j.spec.model.Op;
import io.overlay4j.spec.model.Outcome;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One run of an operation sequence: a target over fresh layers, the reference model over the
 * same layers, and the record of what was done. {@link #step} applies an operation to both and
 * checks, after every step, every invariant of the issue: same result (errno), merged view
 * equal to the model (names, types, modes, owners, sizes, content, link targets, xattrs,
 * hard-link counts, inode identity and stability, mtimes where determined), lower layers
 * unchanged, upper in the kernel's format holding exactly what the kernel's would, work
 * directory clean. The first violation throws an {@link AssertionError} whose message is the
 * replay: the layers and the numbered operations.
 */
public final class Session implements Closeable {
  /**
   * Sessions not closed yet. jqwik abandons a shrinking run that exceeds its time bound but
   * lets its thread finish; {@link #closeLeftovers} and a shutdown hook unmount whatever such a
   * thread still holds, so no mount or FUSE server outlives the run.
   */
  private static final Set<Session> LIVE = ConcurrentHashMap.newKeySet();
  /** Sessions being set up (a mount in progress): not in {@link #LIVE} yet. */
  private static final java.util.concurrent.atomic.AtomicInteger STARTING =
      new java.util.concurrent.atomic.AtomicInteger();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      ConformanceConfig.endRun();
      closeLeftovers(30_000, false);
    }, "conformance-unmount"));
  }

  private final Target target;
  /** Differential mode: a second target over copies of the same layers, or null. */
  private final Target reference;
  private final Model model;
  private final List<LayerTree> layers;
  private final String context;
  private final List<String> log = new ArrayList<>();
  private final Map<String, Long> inoByKey = new HashMap<>();
  private final List<TreeSnapshot> lowersAtStart;

  private Session(Target target, Target reference, Model model, List<LayerTree> layers,
      String context) throws IOException {
    this.target = target;
    this.reference = reference;
    this.model = model;
    this.layers = layers;
    this.context = context;
    this.lowersAtStart = target.lowers();
  }

  /** A target of the configured kind over {@code layers}, checked once before any operation. */
  public static Session start(Targets.Factory factory, List<LayerTree> layers,
      Model.Options options, String context) {
    if (ConformanceConfig.runOver()) {
      // a shrinking thread jqwik gave up on, still trying: mount nothing more
      throw new HarnessError("the conformance run is over", null);
    }
    STARTING.incrementAndGet();
    try {
      return startCounted(factory, layers, options, context);
    } finally {
      STARTING.decrementAndGet();
    }
  }

  private static Session startCounted(Targets.Factory factory, List<LayerTree> layers,
      Model.Options options, String context) {
    Targets.Factory ref = ConformanceConfig.referenceFactory();
    Target t;
    try {
      t = factory.create(layers, options);
    } catch (IOException e) {
      // The kernel mounts every layer set and option the suite uses: refusing one diverges.
      throw new AssertionError(factory.name() + ": cannot mount or open these layers"
          + (options.redirectDir() ? " with redirect_dir=on" : "") + ", which the kernel "
          + "mounts: " + e.getMessage() + "\n(" + context + ")", e);
    }
    Target r = null;
    try {
      if (ref != null) {
        r = ref.create(layers, options);
      }
      Model.RootAttrs root = t.rootAttrs();
      Model m = new Model(layers, options, root, 0, 0);
      Session s = new Session(t, r, m, layers, context);
      LIVE.add(s);
      try {
        s.check("before the first operation", null);
      } catch (RuntimeException | Error e) {
        LIVE.remove(s);
        throw e;
      }
      return s;
    } catch (IOException e) {
      closeQuietly(t, e);
      closeQuietly(r, e);
      throw new HarnessError(factory.name() + ": setting up failed: " + e, e);
    } catch (RuntimeException | Error e) {
      closeQuietly(t, e);
      closeQuietly(r, e);
      throw e;
    }
  }

  private static void closeQuietly(Target t, Throwable into) {
    if (t == null) {
      return;
    }
    try {
      t.close();
    } catch (IOException e) {
      into.addSuppressed(e);
    }
  }

  public Target target() {
    return target;
  }

  public Model model() {
    return model;
  }

  /** Applies {@code op} to the target and the model and checks every invariant. */
  public void step(Op op) {
    if (op instanceof Op.Write w) {
      Model.Type t = model.typeAt(w.path(), true);
      if (t == Model.Type.FIFO || t == Model.Type.CHAR) {
        log.add(op.describe() + "   (skipped: not a regular file)");
        return;
      }
    }
    Outcome want = model.apply(op);
    Outcome got;
    try {
      got = target.apply(op);
    } catch (IOException e) {
      log.add(op.describe() + "   -> harness failure");
      throw new HarnessError(report(op.describe() + ": the harness failed: " + e), e);
    }
    Outcome ref = null;
    if (reference != null) {
      try {
        ref = reference.apply(op);
      } catch (IOException e) {
        throw new HarnessError(report(op.describe() + ": the reference failed: " + e), e);
      }
    }
    log.add(op.describe() + "   -> " + got + (got.equals(want) ? "" : " (kernel: " + want + ")")
        + (ref == null || ref.equals(got) ? "" : " (" + reference.name() + ": " + ref + ")"));
    if (!got.equals(want)) {
      throw new AssertionError(report("errors: " + op.describe() + " returned " + got
          + ", the kernel returns " + want));
    }
    if (ref != null && !ref.equals(got)) {
      throw new AssertionError(report("differential: " + op.describe() + " returned " + got
          + ", " + reference.name() + " returned " + ref));
    }
    check("after " + op.describe(), op);
  }

  /** Every invariant; throws with the replay on the first violated one. */
  public void check(String when, Op op) {
    List<String> problems = new ArrayList<>();
    try {
      TreeSnapshot actual = target.merged();
      SortedMap<String, Model.Expected> expected = model.merged();
      checkMerged(actual, expected, problems);
      if (problems.isEmpty()) {
        checkInodes(actual, expected, problems);
      }
      if (problems.isEmpty()) {
        checkMtimes(actual, expected, problems);
      }
      checkLowers(problems);
      checkUpper(problems);
      if (reference != null) {
        checkDifferential(actual, problems);
      }
      List<String> work = target.workLeftovers();
      if (work != null && !work.isEmpty()) {
        problems.add("work: left in the work directory: " + work);
      }
    } catch (IOException e) {
      throw new HarnessError(report("taking snapshots " + when + " failed: " + e), e);
    }
    if (!problems.isEmpty()) {
      StringBuilder sb = new StringBuilder(when).append(":");
      for (String p : problems.subList(0, Math.min(40, problems.size()))) {
        sb.append("\n  ").append(p);
      }
      if (problems.size() > 40) {
        sb.append("\n  ... ").append(problems.size() - 40).append(" more");
      }
      throw new AssertionError(report(sb.toString()));
    }
  }

  private void checkMerged(TreeSnapshot actual, SortedMap<String, Model.Expected> expected,
      List<String> problems) {
    Map<String, TreeSnapshot.Entry> want = new TreeMap<>();
    expected.forEach((p, e) -> want.put(p, e.entry()));
    TreeSnapshot model = new TreeSnapshot("kernel", want);
    for (String d : model.diff(actual.withLabel(target.name()), EnumSet.of(
        TreeSnapshot.Field.INO, TreeSnapshot.Field.MTIME, TreeSnapshot.Field.CTIME))) {
      problems.add("merged view: " + d);
    }
  }

  /**
   * Differential mode: the merged view and the upper directory of both targets, compared
   * directly (inode numbers, times and the private xattrs' values aside: they are stable only
   * where the model already checks them).
   */
  private void checkDifferential(TreeSnapshot actual, List<String> problems) throws IOException {
    var ignore = EnumSet.of(TreeSnapshot.Field.INO, TreeSnapshot.Field.MTIME,
        TreeSnapshot.Field.CTIME);
    for (String d : reference.merged().withLabel(reference.name())
        .diff(actual.withLabel(target.name()), ignore)) {
      problems.add("differential, merged view: " + d);
    }
    ignore.add(TreeSnapshot.Field.NLINK); // the kernel's whiteouts share one inode
    ignore.add(TreeSnapshot.Field.XATTRS);
    for (String d : reference.upper().withLabel(reference.name() + " upper")
        .diff(target.upper().withLabel(target.name() + " upper"), ignore)) {
      problems.add("differential, upper: " + d);
    }
  }

  private void checkInodes(TreeSnapshot actual, SortedMap<String, Model.Expected> expected,
      List<String> problems) {
    Map<String, Long> now = new HashMap<>();
    Map<Long, String> owner = new HashMap<>();
    Map<String, String> pathOf = new HashMap<>();
    for (Map.Entry<String, Model.Expected> e : expected.entrySet()) {
      String key = e.getValue().inoKey();
      if (key == null) {
        continue;
      }
      String path = TreeSnapshot.showPath(e.getKey());
      long ino = actual.get(e.getKey()).ino();
      Long seen = now.get(key);
      if (seen != null && seen != ino) {
        problems.add("inode numbers: " + pathOf.get(key) + " and " + path + " are one file but"
            + " show st_ino " + seen + " and " + ino);
        continue;
      }
      String other = owner.get(ino);
      if (other != null && !other.equals(key)) {
        problems.add("inode numbers: " + pathOf.get(other) + " and " + path + " are different"
            + " files but share st_ino " + ino);
        continue;
      }
      Long before = inoByKey.get(key);
      if (before != null && before != ino) {
        problems.add("inode numbers: st_ino of " + path + " changed from " + before + " to "
            + ino + " (the kernel keeps it across copy-up, rename and remount)");
      }
      now.put(key, ino);
      owner.put(ino, key);
      pathOf.putIfAbsent(key, path);
    }
    inoByKey.clear();
    inoByKey.putAll(now);
  }

  private static void checkMtimes(TreeSnapshot actual, SortedMap<String, Model.Expected> expected,
      List<String> problems) {
    for (Map.Entry<String, Model.Expected> e : expected.entrySet()) {
      Long want = e.getValue().mtimeNanos();
      if (want == null) {
        continue;
      }
      long got = actual.get(e.getKey()).mtimeNanos();
      if (got != want) {
        problems.add("mtime: " + TreeSnapshot.showPath(e.getKey()) + ": kernel="
            + java.time.Instant.ofEpochSecond(0, want) + " " + "got="
            + java.time.Instant.ofEpochSecond(0, got));
      }
    }
  }

  private void checkLowers(List<String> problems) throws IOException {
    List<TreeSnapshot> now = target.lowers();
    for (int i = 0; i < now.size(); i++) {
      for (String d : lowersAtStart.get(i).diff(now.get(i))) {
        problems.add("lower layer " + (i + 1) + " changed: " + d);
      }
    }
  }

  private void checkUpper(List<String> problems) throws IOException {
    TreeSnapshot up = target.upper();
    SortedMap<String, Model.UpperKind> want = model.upper();
    SortedMap<String, String> got = new TreeMap<>();
    for (Map.Entry<String, TreeSnapshot.Entry> e : up.entries().entrySet()) {
      got.put(e.getKey(), upperKind(e.getValue()));
      checkPrivateXattrs(e.getKey(), e.getValue(), problems);
    }
    for (Map.Entry<String, Model.UpperKind> e : want.entrySet()) {
      String g = got.get(e.getKey());
      String w = e.getValue().name().toLowerCase();
      if (g == null) {
        problems.add("upper: " + show(e.getKey()) + ": the kernel's upper has " + w
            + ", this one nothing");
      } else if (!g.equals(w)) {
        problems.add("upper: " + show(e.getKey()) + ": the kernel's upper has " + w
            + ", this one " + g);
      }
    }
    for (Map.Entry<String, String> e : got.entrySet()) {
      if (!want.containsKey(e.getKey())) {
        problems.add("upper: " + show(e.getKey()) + ": " + e.getValue()
            + " that the kernel's upper would not have");
      }
    }
  }

  private static String show(String p) {
    return TreeSnapshot.showPath(p);
  }

  private static final String OPAQUE = "trusted.overlay.opaque";

  private static String upperKind(TreeSnapshot.Entry e) {
    return switch (e.type()) {
      case DIRECTORY -> {
        String v = e.xattrs() == null ? null : e.xattrs().get(OPAQUE);
        yield v == null ? "dir" : v.equals(HexFormat.of().formatHex("y".getBytes()))
            ? "opaque_dir" : "dir with " + OPAQUE + "=" + v;
      }
      case REGULAR -> e.xattrs() != null && e.xattrs().containsKey("trusted.overlay.whiteout")
          ? "xattr whiteout" : "file";
      case SYMLINK -> "symlink";
      case FIFO -> "fifo";
      case CHAR_DEVICE -> e.rdev() == 0 ? "whiteout" : "char";
      default -> e.type().name().toLowerCase();
    };
  }

  private void checkPrivateXattrs(String path, TreeSnapshot.Entry e, List<String> problems) {
    if (e.xattrs() == null) {
      return;
    }
    for (String name : e.xattrs().keySet()) {
      if (!name.startsWith("trusted.overlay.") || name.startsWith("trusted.overlay.overlay.")) {
        continue;
      }
      String n = name.substring("trusted.overlay.".length());
      boolean dir = e.type() == TreeSnapshot.Type.DIRECTORY;
      boolean ok = switch (n) {
        case "origin" -> true;
        case "impure", "opaque" -> dir;
        case "redirect" -> dir && model.options().redirectDir();
        case "uuid" -> path.isEmpty();
        default -> false;
      };
      if (!ok) {
        problems.add("upper: " + show(path) + ": " + name + " is not in the kernel's format "
            + "here");
      }
    }
  }

  /** Ends the sequence: unmounts and checks the work directory. */
  public void finish() {
    try {
      target.unmount();
      if (reference != null) {
        reference.unmount();
      }
      List<String> work = target.workLeftovers();
      if (work != null && !work.isEmpty()) {
        throw new AssertionError(report("after unmount: work: left in the work directory: "
            + work));
      }
    } catch (IOException e) {
      throw new HarnessError(report("unmounting failed: " + e), e);
    }
  }

  /** A failure message: what went wrong, then the layers and the operations to replay it. */
  public String report(String what) {
    StringBuilder sb = new StringBuilder();
    sb.append(target.name()).append(": ").append(what).append('\n');
    sb.append("replay (").append(context).append("):\n");
    for (int i = 0; i < layers.size(); i++) {
      sb.append("  lower ").append(i + 1).append(i == 0 ? " (top)" : "").append(":\n")
          .append(layers.get(i).describe());
    }
    if (model.options().redirectDir()) {
      sb.append("  options: redirect_dir=on\n");
    }
    for (int i = 0; i < log.size(); i++) {
      sb.append("  ").append(i + 1).append(". ").append(log.get(i)).append('\n');
    }
    if (log.isEmpty()) {
      sb.append("  (no operations)\n");
    }
    return sb.toString();
  }

  /**
   * Waits up to {@code waitMillis} for mounts in progress and, if {@code waitForRunning}, for
   * sessions still running (an abandoned shrinking thread's) to end; then closes the rest.
   */
  static void closeLeftovers(long waitMillis, boolean waitForRunning) {
    long deadline = System.currentTimeMillis() + waitMillis;
    while ((waitForRunning && !LIVE.isEmpty() || STARTING.get() > 0)
        && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (Session s : List.copyOf(LIVE)) {
      try {
        s.close();
      } catch (IOException | RuntimeException ignored) {
        // best effort: the process is ending or the run is over
      }
    }
  }

  @Override
  public void close() throws IOException {
    LIVE.remove(this);
    try {
      target.close();
    } finally {
      if (reference != null) {
        reference.close();
      }
    }
  }

  @Override
  public String toString() {
    return "a session with " + target.name() + " after " + log.size() + " operations";
  }

  /** The harness itself failed (a mount did not come up, a snapshot could not be taken). */
  public static final class HarnessError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HarnessError(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
