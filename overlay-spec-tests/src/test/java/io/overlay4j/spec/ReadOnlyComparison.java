package io.overlay4j.spec;

import io.overlay4j.core.Overlay;
import io.overlay4j.core.layer.HostLayer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The read-only differential check: the kernel's overlay and overlay4j over the same layer
 * directories must show the same merged tree, and neither may change a lower layer.
 */
final class ReadOnlyComparison {
  private ReadOnlyComparison() {}

  /** What one comparison saw, for tests that want to look further. */
  record Outcome(TreeSnapshot kernel, TreeSnapshot overlay4j) {}

  /**
   * Mounts the kernel's overlay over {@code lowers} (topmost first) — read-only, or with a
   * fresh empty upper and work directory when {@code withUpper} — snapshots it, builds overlay4j
   * over the same directories, and requires equal snapshots on every field.
   */
  static Outcome compare(Scratch scratch, List<Path> lowers, boolean withUpper)
      throws IOException {
    List<TreeSnapshot> before = new ArrayList<>();
    for (Path l : lowers) {
      before.add(TreeSnapshot.ofDirectory(l));
    }
    Path upper = null;
    Path work = null;
    String options;
    if (withUpper) {
      upper = scratch.dir("upper");
      work = scratch.dir("work");
      options = KernelOverlay.options(lowers, upper, work);
    } else {
      options = KernelOverlay.readOnlyOptions(lowers);
    }

    TreeSnapshot kernel;
    try (MountedTree m = KernelOverlay.mount(options, scratch.dir("merged"))) {
      kernel = m.snapshot();
    }
    // The kernel's mount may mark the upper root (trusted.overlay.uuid) and makes work/work;
    // overlay4j reads the same directories afterwards, so both see one state.
    TreeSnapshot upperBefore = upper == null ? null : TreeSnapshot.ofDirectory(upper);
    TreeSnapshot workBefore = work == null ? null : TreeSnapshot.ofDirectory(work);

    Overlay.Builder b = Overlay.builder();
    for (Path l : lowers) {
      b.lower(new HostLayer(l));
    }
    if (withUpper) {
      b.upper(new HostLayer(upper), new HostLayer(work));
    }
    TreeSnapshot mine;
    try (Overlay o = b.build()) {
      mine = TreeSnapshot.ofOverlay(o);
    }

    kernel.requireSameAs(mine, TreeSnapshot.EVERYTHING,
        "merged view of -o " + options);

    for (int i = 0; i < lowers.size(); i++) {
      before.get(i).withLabel("before").requireSameAs(
          TreeSnapshot.ofDirectory(lowers.get(i)).withLabel("after"), TreeSnapshot.EVERYTHING,
          "lower layer " + lowers.get(i) + " changed");
    }
    if (withUpper) {
      upperBefore.withLabel("before").requireSameAs(
          TreeSnapshot.ofDirectory(upper).withLabel("after"), TreeSnapshot.EVERYTHING,
          "overlay4j changed the upper layer " + upper + " while only reading");
      workBefore.withLabel("before").requireSameAs(
          TreeSnapshot.ofDirectory(work).withLabel("after"), TreeSnapshot.EVERYTHING,
          "overlay4j changed the work directory " + work + " while only reading");
    }
    return new Outcome(kernel, mine);
  }
}
