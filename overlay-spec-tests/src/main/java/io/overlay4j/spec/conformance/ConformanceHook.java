package io.overlay4j.spec.conformance;

import java.util.Optional;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * Applies the {@link ConformanceConfig} to every property and scenario of the suite: skips
 * them, with the exact reason, where the target cannot run here, and sets jqwik's seed and tries
 * from the configuration (annotations cannot: they are constants).
 */
public class ConformanceHook implements SkipExecutionHook, AroundPropertyHook {
  @Override
  public SkipResult shouldBeSkipped(LifecycleContext context) {
    Targets.Factory f = ConformanceConfig.factory();
    Optional<String> why = f.unavailableReason();
    return why.isPresent()
        ? SkipResult.skip("conformance against " + f.name() + " skipped: " + why.get())
        : SkipResult.doNotSkip();
  }

  @Override
  public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context,
      PropertyExecutor property) {
    ConformanceConfig c = ConformanceConfig.get();
    context.attributes().setSeed(c.seed());
    if (context.targetMethod().isAnnotationPresent(Property.class)) {
      context.attributes().setTries(c.tries());
    }
    return property.execute();
  }
}
