/** overlay-core: the union filesystem as a library. */
package io.overlay4j.core;
