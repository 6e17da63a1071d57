/**
 * The {@code overlay} {@link java.nio.file.spi.FileSystemProvider}: overlay-core behind {@link
 * java.nio.file.Files}, installed through the service loader from the overlay-core jar. A thin
 * translator: paths become the core's path strings, the core's errnos become the JDK's
 * exceptions (as the JDK's Unix provider maps them), and nothing else is decided here. Start at
 * {@link io.overlay4j.nio.OverlayFileSystemProvider}.
 */
package io.overlay4j.nio;
