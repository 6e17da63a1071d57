package io.overlay4j.spec.conformance;

import io.overlay4j.spec.model.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;

/**
 * Random operations over the same tiny name space as the layers (plus {@code d}, a name no
 * layer has). Each operation is independent of the state — what it does to the state is the
 * model's business — so jqwik shrinks a failing sequence by dropping and simplifying steps.
 */
public final class OpGen {
  private OpGen() {}

  static final List<String> OP_NAMES = List.of("a", "b", "c", "d");

  static Arbitrary<String> path() {
    return Arbitraries.frequency(Tuple.of(5, 1), Tuple.of(4, 2), Tuple.of(2, 3))
        .flatMap(depth -> Arbitraries.of(OP_NAMES).list().ofSize(depth))
        .map(parts -> String.join("/", parts));
  }

  static Arbitrary<String> data() {
    return Arbitraries.of("x", "new", "written-" + "data", "0123456789abcdef", "Z");
  }

  static Arbitrary<Op> create() {
    return Combinators.combine(path(), Arbitraries.of(0644, 0600, 0755), data())
        .as(Op.Create::new);
  }

  static Arbitrary<Op> write() {
    return Combinators.combine(path(), Arbitraries.of(Op.WriteMode.class), data())
        .as(Op.Write::new);
  }

  static Arbitrary<Op> truncate() {
    return Combinators.combine(path(), Arbitraries.of(0L, 1L, 4L, 40L)).as(Op.Truncate::new);
  }

  static Arbitrary<Op> mkdir() {
    return Combinators.combine(path(), Arbitraries.of(0755, 0700, 0750)).as(Op.Mkdir::new);
  }

  static Arbitrary<Op> mkfifo() {
    return path().map(p -> new Op.Mkfifo(p, 0644));
  }

  static Arbitrary<Op> rmdir() {
    return path().map(Op.Rmdir::new);
  }

  static Arbitrary<Op> unlink() {
    return path().map(Op.Unlink::new);
  }

  static Arbitrary<Op> rename() {
    Arbitrary<Integer> flags = Arbitraries.frequency(Tuple.of(8, 0),
        Tuple.of(2, Op.RENAME_NOREPLACE), Tuple.of(2, Op.RENAME_EXCHANGE),
        Tuple.of(1, Op.RENAME_WHITEOUT));
    return Combinators.combine(path(), path(), flags).as(Op.Rename::new);
  }

  static Arbitrary<Op> chmod() {
    return Combinators.combine(path(), Arbitraries.of(0600, 0644, 0755, 0700, 04755, 02755,
        01777, 0)).as(Op.Chmod::new);
  }

  static Arbitrary<Op> chown() {
    return Combinators.combine(path(), Arbitraries.of(0, 1000, 65534), Arbitraries.of(0, 100,
        1000)).as(Op.Chown::new);
  }

  static Arbitrary<Op> utimens() {
    return Combinators.combine(path(), Arbitraries.of(1_000_000_000_000_000_001L,
        1_234_567_890_987_654_321L, 1_700_000_000_000_000_000L)).as(Op.SetMtime::new);
  }

  static Arbitrary<Op> symlink() {
    Arbitrary<String> target = Arbitraries.oneOf(Arbitraries.of(OP_NAMES),
        Combinators.combine(Arbitraries.of(OP_NAMES), Arbitraries.of(OP_NAMES))
            .as((x, y) -> x + "/" + y),
        Arbitraries.of("missing"));
    return Combinators.combine(target, path()).as(Op.Symlink::new);
  }

  static Arbitrary<Op> link() {
    return Combinators.combine(path(), path()).as(Op.Link::new);
  }

  static Arbitrary<String> xattrName() {
    return Arbitraries.frequency(Tuple.of(4, "user.a"), Tuple.of(2, "user.b"),
        Tuple.of(2, "trusted.t"), Tuple.of(1, "trusted.overlay.e"));
  }

  static Arbitrary<Op> setxattr() {
    return Combinators.combine(path(), xattrName(), Arbitraries.of("1", "two", ""),
        Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(1, Op.XATTR_CREATE),
            Tuple.of(1, Op.XATTR_REPLACE))).as(Op.SetXattr::new);
  }

  static Arbitrary<Op> removexattr() {
    return Combinators.combine(path(), xattrName()).as(Op.RemoveXattr::new);
  }

  static Arbitrary<Op> remount() {
    return Arbitraries.just(new Op.Remount());
  }

  /** The operation kinds by name, for the area mixes. */
  static final Map<String, Arbitrary<Op>> KINDS = Map.ofEntries(
      Map.entry("create", create()), Map.entry("write", write()),
      Map.entry("truncate", truncate()), Map.entry("mkdir", mkdir()),
      Map.entry("mkfifo", mkfifo()), Map.entry("rmdir", rmdir()),
      Map.entry("unlink", unlink()), Map.entry("rename", rename()),
      Map.entry("chmod", chmod()), Map.entry("chown", chown()),
      Map.entry("utimens", utimens()), Map.entry("symlink", symlink()),
      Map.entry("link", link()), Map.entry("setxattr", setxattr()),
      Map.entry("removexattr", removexattr()), Map.entry("remount", remount()));

  /** A weighted mix of operation kinds, e.g. {@code "rename:6 mkdir:2 create:2"}. */
  static List<Tuple2<Integer, Arbitrary<Op>>> mix(String spec) {
    List<Tuple2<Integer, Arbitrary<Op>>> out = new ArrayList<>();
    for (String part : spec.trim().split("\\s+")) {
      String[] kv = part.split(":");
      Arbitrary<Op> a = KINDS.get(kv[0]);
      if (a == null) {
        throw new IllegalArgumentException("no operation " + kv[0]);
      }
      out.add(Tuple.of(Integer.parseInt(kv[1]), a));
    }
    return out;
  }
}
