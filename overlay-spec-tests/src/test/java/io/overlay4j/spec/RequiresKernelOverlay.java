package io.overlay4j.spec;

import java.util.Optional;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * jqwik's way to skip a property or container, with the reason, where the kernel overlay cannot
 * be mounted ({@link KernelOverlay#unavailableReason}). Use with
 * {@code @AddLifecycleHook(RequiresKernelOverlay.class)}.
 */
public class RequiresKernelOverlay implements SkipExecutionHook {
  @Override
  public SkipResult shouldBeSkipped(LifecycleContext context) {
    Optional<String> why = KernelOverlay.unavailableReason();
    return why.isPresent()
        ? SkipResult.skip("kernel differential tests skipped: " + why.get())
        : SkipResult.doNotSkip();
  }
}
