package io.overlay4j.core;

/**
 * A snapshot of an overlay's counters, for {@code overlay4j stats} and benchmark reports.
 *
 * @param lookups name lookups asked of the lookup cache
 * @param cacheHits lookups answered by the cache
 * @param cacheMisses lookups that read the layers
 * @param cacheSize entries the cache holds now
 * @param cacheCapacity the most entries it may hold
 * @param copyUps objects copied up
 * @param bytesCopiedUp file data copied up
 * @param whiteouts whiteouts written
 */
public record OverlayStats(
    long lookups,
    long cacheHits,
    long cacheMisses,
    long cacheSize,
    long cacheCapacity,
    long copyUps,
    long bytesCopiedUp,
    long whiteouts) {}
