package io.overlay4j.spec.conformance;

import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.Model;
import io.overlay4j.spec.model.Op;
import java.io.IOException;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tag;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.ActionChainArbitrary;
import net.jqwik.api.state.Transformer;

/**
 * The stateful properties, one per area: random lower layers and a random sequence of
 * operations weighted towards the area, applied to the configured target and to the
 * {@link Model}; {@link Session#step} checks every invariant after every step. A failure's
 * message is its replay: the layers and the numbered operations, shrunk by jqwik.
 */
@AddLifecycleHook(value = ConformanceHook.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
public class ConformanceProperties {
  private static final ThreadLocal<List<LayerTree>> LAYERS = new ThreadLocal<>();
  private static final ThreadLocal<String> CONTEXT = new ThreadLocal<>();
  private static final ThreadLocal<Session> CURRENT = new ThreadLocal<>();

  static final String LOOKUP = "symlink:4 create:2 write:2 chmod:2 mkdir:2 unlink:1 truncate:1 "
      + "link:1 rename:1";
  static final String READDIR = "create:3 mkdir:3 unlink:3 rmdir:3 rename:2 symlink:1 mkfifo:1";
  static final String COPY_UP = "write:5 truncate:2 chmod:2 chown:1 utimens:2 setxattr:1 link:1 "
      + "remount:1";
  static final String WHITEOUTS = "unlink:5 rmdir:4 create:3 mkdir:2 symlink:1 write:1 remount:1";
  static final String OPAQUE = "rmdir:5 mkdir:5 create:2 unlink:2 rename:2 remount:1";
  static final String RENAME = "rename:9 mkdir:2 create:2 link:1 unlink:1 remount:1";
  static final String LINKS = "link:6 write:3 unlink:2 rename:2 create:1 truncate:1 remount:1";
  static final String XATTRS = "setxattr:6 removexattr:4 create:1 mkdir:1 symlink:1 rename:1 "
      + "remount:1";
  static final String ATTRIBUTES = "chmod:4 chown:4 utimens:4 truncate:2 write:1 create:1 "
      + "mkfifo:1 remount:1";
  static final String EVERYTHING = "create:2 write:2 truncate:1 mkdir:2 mkfifo:1 rmdir:2 "
      + "unlink:2 rename:3 chmod:1 chown:1 utimens:1 symlink:2 link:2 setxattr:1 removexattr:1 "
      + "remount:1";

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("lookup")
  void lookupThroughSymlinksAndMissingParents(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("lookupChain") ActionChain<Session> chain) {
    run("lookup", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("readdir")
  void readdirShowsTheUnionAfterEveryChange(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("readdirChain") ActionChain<Session> chain) {
    run("readdir", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("copy-up")
  void copyUpKeepsDataAttributesAndIdentity(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("copyUpChain") ActionChain<Session> chain) {
    run("copy-up", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("whiteouts")
  void deletingLowerNamesLeavesWhiteouts(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("whiteoutChain") ActionChain<Session> chain) {
    run("whiteouts", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("opaque")
  void recreatedDirectoriesAreOpaque(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("opaqueChain") ActionChain<Session> chain) {
    run("opaque", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("rename")
  void renameFilesAndDirectories(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("renameChain") ActionChain<Session> chain) {
    run("rename", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("rename")
  void renameWithRedirectDir(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("redirectChain") ActionChain<Session> chain) {
    run("rename, redirect_dir=on", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("links")
  void hardLinksAndSymlinks(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("linkChain") ActionChain<Session> chain) {
    run("links", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("xattrs")
  void extendedAttributes(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("xattrChain") ActionChain<Session> chain) {
    run("xattrs", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("attributes")
  void modesOwnersTimesAndSizes(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("attributeChain") ActionChain<Session> chain) {
    run("attributes", l, chain);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  @Tag("errors")
  void everyOperationReturnsTheKernelsErrno(@ForAll("layers") List<List<LayerGen.Spec>> l,
      @ForAll("everythingChain") ActionChain<Session> chain) {
    run("errors", l, chain);
  }

  @Provide
  Arbitrary<List<List<LayerGen.Spec>>> layers() {
    return LayerGen.specs();
  }

  @Provide
  Arbitrary<ActionChain<Session>> lookupChain() {
    return chain(LOOKUP, Model.Options.DEFAULT);
  }

  @Provide
  Arbitrary<ActionChain<Session>> readdirChain() {
    return chain(READDIR, Model.Options.DEFAULT);
  }

  @Provide
  Arbitrary<ActionChain<Session>> copyUpChain() {
    return chain(COPY_UP, Model.Options.DEFAULT);
  }

  @Provide
  Arbitrary<ActionChain<Session>> whiteoutChain() {
    return chain(WHITEOUTS, Model.Options.DEFAULT);
  }

  @Provide
  Arbitrary<ActionChain<Session>> opaqueChain() {
    return chain(OPAQUE, Model.Options.DEFAULT);
  }

  @Provide
  Arbitrary<ActionChain<Session>> renameChain() {
    return chain(RENAME, Model.Options.DEFAULT);
  }

  @Provide
  Arbitrary<ActionChain<Session>> redirectChain() {
    return chain(RENAME, new Model.Options(true));
  }

  @Provide
  Arbitrary<ActionChain<Session>> linkChain() {
    return chain(LINKS, Model.Options.DEFAULT);
  }

  @Provide
  Arbitrary<ActionChain<Session>> xattrChain() {
    return chain(XATTRS, Model.Options.DEFAULT);
  }

  @Provide
  Arbitrary<ActionChain<Session>> attributeChain() {
    return chain(ATTRIBUTES, Model.Options.DEFAULT);
  }

  @Provide
  Arbitrary<ActionChain<Session>> everythingChain() {
    return chain(EVERYTHING, Model.Options.DEFAULT);
  }

  private static ActionChainArbitrary<Session> chain(String mix, Model.Options options) {
    ActionChainArbitrary<Session> a = ActionChain.startWith(() -> {
      Session s = Session.start(ConformanceConfig.factory(), LAYERS.get(), options,
          CONTEXT.get());
      CURRENT.set(s);
      return s;
    });
    for (Tuple2<Integer, Arbitrary<Op>> t : OpGen.mix(mix)) {
      a = a.withAction(t.get1(), new OpAction(t.get2()));
    }
    return a.withMaxTransformations(ConformanceConfig.get().steps());
  }

  /** One operation kind as a jqwik action: independent of the state, so it shrinks well. */
  private record OpAction(Arbitrary<Op> ops) implements Action.Independent<Session> {
    @Override
    public Arbitrary<Transformer<Session>> transformer() {
      return ops.map(op -> Transformer.mutate(op.describe(), s -> s.step(op)));
    }
  }

  private static void run(String property, List<List<LayerGen.Spec>> specs,
      ActionChain<Session> chain) {
    ConformanceConfig c = ConformanceConfig.get();
    LAYERS.set(LayerGen.build(specs));
    CONTEXT.set("target " + ConformanceConfig.factory().name() + ", property " + property
        + ", seed " + c.seed());
    try {
      Session s = chain.run();
      s.finish();
    } finally {
      Session s = CURRENT.get();
      CURRENT.remove();
      if (s != null) {
        try {
          s.close();
        } catch (IOException e) {
          throw new Session.HarnessError("closing the target failed: " + e, e);
        }
      }
    }
  }
}
