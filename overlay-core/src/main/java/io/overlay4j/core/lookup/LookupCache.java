package io.overlay4j.core.lookup;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.overlay4j.core.DirEntry;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded cache of lookup results, positive and negative, keyed by merged path.
 *
 * <p>Mutations change the layers first and invalidate after. A lookup computed while a mutation
 * ran may have read the old state, so it is stored only if no invalidation happened between the
 * start of its computation and its store (an epoch counter decides); this keeps the cache exact
 * without holding a lock across layer I/O.
 */
public final class LookupCache {
  private final Cache<String, MergedEntry> cache;
  /** Merged directory listings by path, weighed by entries (the kernel keeps them too). */
  private final Cache<String, List<DirEntry>> listings;
  private final AtomicLong epoch = new AtomicLong();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final long maximumSize;

  /** A cache of at most {@code maximumSize} entries; 0 turns caching off. */
  public LookupCache(long maximumSize) {
    this.maximumSize = maximumSize;
    // Eviction runs in the calling thread: no background threads in an embeddable library.
    this.cache = maximumSize <= 0 ? null
        : Caffeine.newBuilder().maximumSize(maximumSize).executor(Runnable::run).build();
    // Listings hold at most 16 entries per cached lookup (1M for the default size).
    this.listings = maximumSize <= 0 ? null
        : Caffeine.newBuilder().maximumWeight(maximumSize * 16)
            .<String, List<DirEntry>>weigher((k, v) -> v.size() + 1)
            .executor(Runnable::run).build();
  }

  /** The cached listing of a merged directory, or null. */
  public List<DirEntry> listing(String dir) {
    return listings == null ? null : listings.getIfPresent(dir);
  }

  /** Stores a listing computed since {@code startEpoch}, unless something changed since. */
  public void putListing(String dir, List<DirEntry> entries, long startEpoch) {
    if (listings != null && epoch.get() == startEpoch) {
      listings.put(dir, entries);
      if (epoch.get() != startEpoch) {
        listings.invalidate(dir);
      }
    }
  }

  /** The cached entry for a merged path, or null (counted as a miss). */
  MergedEntry get(String path) {
    MergedEntry e = cache == null ? null : cache.getIfPresent(path);
    (e == null ? misses : hits).increment();
    return e;
  }

  /** The cached entry for a merged path, or null; counts nothing. */
  MergedEntry peek(String path) {
    return cache == null ? null : cache.getIfPresent(path);
  }

  /** Counts a hit found through {@link #peek}. */
  void hit() {
    hits.increment();
  }

  /** Whether entries are cached at all. */
  boolean enabled() {
    return cache != null;
  }

  /** The epoch to pass to {@link #put} for a computation that starts now. */
  public long epoch() {
    return epoch.get();
  }

  /** Stores an entry computed since {@code startEpoch}, unless something was invalidated since. */
  void put(MergedEntry e, long startEpoch) {
    if (cache != null && epoch.get() == startEpoch) {
      cache.put(e.path(), e);
      if (epoch.get() != startEpoch) {
        cache.invalidate(e.path());
      }
    }
  }

  /**
   * Forgets one merged path (after a mutation of that object), its own listing (a directory
   * copied up is merged now: the whiteouts of its lower copy are filtered from then on), and
   * the listing of the directory that holds it.
   */
  public void invalidate(String path) {
    epoch.incrementAndGet();
    if (cache != null) {
      cache.invalidate(path);
      listings.invalidate(path);
      listings.invalidate(parentOf(path));
    }
  }

  /** Forgets a merged path and everything below it (after a rename or removal of a directory). */
  public void invalidateTree(String path) {
    epoch.incrementAndGet();
    if (cache != null) {
      cache.invalidate(path);
      listings.invalidate(path);
      listings.invalidate(parentOf(path));
      String prefix = path.equals("/") ? "/" : path + "/";
      cache.asMap().keySet().removeIf(k -> k.startsWith(prefix));
      listings.asMap().keySet().removeIf(k -> k.startsWith(prefix));
    }
  }

  private static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  public long hits() {
    return hits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  /** Entries held now. */
  public long size() {
    return cache == null ? 0 : cache.estimatedSize();
  }

  public long maximumSize() {
    return Math.max(0, maximumSize);
  }
}
