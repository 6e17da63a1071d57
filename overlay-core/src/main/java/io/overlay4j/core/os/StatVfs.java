package io.overlay4j.core.os;

/**
 * The {@code statvfs(3)} numbers of a filesystem. Block counts are in units of {@code frsize}.
 * {@code files}, {@code ffree} are 0 when unknown (JDK fallback).
 */
public record StatVfs(
    long bsize,
    long frsize,
    long blocks,
    long bfree,
    long bavail,
    long files,
    long ffree,
    long namemax) {}
