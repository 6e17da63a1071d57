/** Benchmarks of overlay-core (JMH) and end-to-end runs against mounted overlays. */
package io.overlay4j.bench;
