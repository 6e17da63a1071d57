package io.overlay4j.spec;

import java.io.IOException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;

/**
 * Random sequences of the shell operations of {@link KernelReadWriteDifferentialTest} over the
 * names of {@link RwFixture}, applied inside a kernel overlay mount and an overlay4j FUSE mount
 * and compared the same way (command output, merged view, upper directory, each upper read back
 * by the other implementation; fuse-overlayfs divergences printed only).
 *
 * <p>The seed is fixed so every run checks the same 12 sequences (about a second and a half
 * each); jqwik prints it with the report. Change it, or drop it, to look for new bugs.
 * Shrinking is off: every try mounts twice, a failing sequence has at most ten short lines and
 * its report says line by line what differed, and jqwik's time-bounded shrinking abandons a
 * try midway (leaving its scratch directory behind).
 */
@AddLifecycleHook(RequiresOverlay4jFuse.class)
class KernelReadWriteDifferentialPropertyTest {
  /** Names of the fixture, in every kind of place (lower, upper, merged, whited out, opaque), and new ones. */
  private static final List<String> PATHS = List.of("a.txt", "b.txt", "u.txt", "empty", "hl1",
      "hl2", "sym", "gone", "old-l2", "shadow", "dir", "dir/f1", "dir/f3", "dir/sub",
      "dir/sub/deep", "dir2", "merged", "merged/x", "merged/y", "merged/w", "merged/keep", "opq",
      "opq/new", "opq/old", "opq2", "opq2/n", "l1only", "udir", "udir/ufile", "deep/a", "new",
      "new/n", "dir/new");

  /** One shell line. */
  record Op(String line) {
    @Override
    public String toString() {
      return line;
    }
  }

  /** A sequence with the options it runs under. */
  record Sequence(String extraOptions, List<Op> ops) {
    String script() {
      StringBuilder sb = new StringBuilder();
      for (Op o : ops) {
        sb.append(o.line()).append('\n');
      }
      return sb.toString();
    }
  }

  @Property(tries = 12, seed = "20261126", shrinking = ShrinkingMode.OFF)
  void randomSequencesGiveTheSameTrees(@ForAll("sequences") Sequence s) throws IOException {
    Statistics.label("options").collect(s.extraOptions().isEmpty() ? "default"
        : s.extraOptions());
    Statistics.label("operations").collect(s.ops().size());
    try (Scratch scratch = Scratch.create("rw-prop")) {
      KernelReadWriteDifferentialTest.check(scratch, "random sequence"
          + (s.extraOptions().isEmpty() ? "" : " [" + s.extraOptions() + "]"), s.extraOptions(),
          s.script());
    }
  }

  @Provide
  Arbitrary<Sequence> sequences() {
    Arbitrary<String> p = Arbitraries.of(PATHS);
    Arbitrary<String> lines = Arbitraries.frequencyOf(
        // Writes skip fifos: opening one for writing would wait for a reader forever.
        Tuple.of(4, p.map(x -> "test -p " + x + " || echo w >> " + x)),
        Tuple.of(2, p.map(x -> "test -p " + x + " || echo new > " + x)),
        Tuple.of(2, Combinators.combine(p, Arbitraries.integers().between(0, 12))
            .as((x, n) -> "truncate -s " + n + " " + x)),
        Tuple.of(3, p.map(x -> "rm " + x)),
        Tuple.of(2, p.map(x -> "rm -r " + x)),
        Tuple.of(3, p.map(x -> "mkdir " + x)),
        Tuple.of(2, p.map(x -> "rmdir " + x)),
        Tuple.of(4, Combinators.combine(p, p).as((x, y) -> "mv " + x + " " + y)),
        Tuple.of(2, Combinators.combine(p, p).as((x, y) -> "ln " + x + " " + y)),
        Tuple.of(1, Combinators.combine(p, p).as((x, y) -> "ln -s " + x + " " + y)),
        Tuple.of(2, Combinators.combine(Arbitraries.of("600", "755", "1777", "4711"), p)
            .as((m, x) -> "chmod " + m + " " + x)),
        Tuple.of(1, p.map(x -> "chown -h 123:456 " + x)),
        Tuple.of(1, p.map(x -> "touch -h -d @1000000000 " + x)),
        Tuple.of(1, p.map(x -> "setfattr -h -n user.p -v 1 " + x)),
        Tuple.of(1, p.map(x -> "mkfifo " + x)),
        Tuple.of(1, p.map(x -> "test -p " + x + " || ( exec 3>>" + x + " && echo o >&3 && rm "
            + x + " && echo p >&3 )")),
        Tuple.of(2, p.map(x -> "test -f " + x + " && cat " + x)),
        Tuple.of(1, p.map(x -> "ls -a " + x)));
    Arbitrary<String> options = Arbitraries.frequency(Tuple.of(3, ""),
        Tuple.of(1, "redirect_dir=on"), Tuple.of(1, "metacopy=on"));
    Arbitrary<Op> ops = lines.map(Op::new);
    return Combinators.combine(options, ops.list().ofMinSize(3).ofMaxSize(10))
        .as(Sequence::new);
  }
}
