package io.overlay4j.spec.conformance;

import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;

/** Named scenarios (to come). */
@AddLifecycleHook(value = ConformanceHook.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
public class NamedScenarios {
}
