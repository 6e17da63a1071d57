package io.overlay4j.spec;

import java.util.Optional;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * jqwik's skip, with the reason, where the kernel overlay or overlay4j's FUSE mount cannot be
 * mounted here. Use with {@code @AddLifecycleHook(RequiresOverlay4jFuse.class)}.
 */
public class RequiresOverlay4jFuse implements SkipExecutionHook {
  @Override
  public SkipResult shouldBeSkipped(LifecycleContext context) {
    Optional<String> kernel = KernelOverlay.unavailableReason();
    if (kernel.isPresent()) {
      return SkipResult.skip("kernel differential tests skipped: " + kernel.get());
    }
    Optional<String> fuse = UserspaceOverlays.overlay4jUnavailableReason();
    return fuse.isPresent()
        ? SkipResult.skip("overlay4j FUSE mount tests skipped: " + fuse.get())
        : SkipResult.doNotSkip();
  }
}
