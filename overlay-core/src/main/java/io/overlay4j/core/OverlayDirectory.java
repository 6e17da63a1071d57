package io.overlay4j.core;

import java.io.IOException;
import java.util.List;

/**
 * An open merged directory. Its listing is taken when it is opened and taken again only on a
 * seek to offset 0, as the kernel does: entries created meanwhile appear after a rewind. The
 * offset of an entry is its position in that listing plus one, so a reader can resume at the
 * offset of the last entry it consumed.
 */
public final class OverlayDirectory {
  /** How the listing is taken again on a rewind. */
  @FunctionalInterface
  interface Lister {
    List<DirEntry> list() throws IOException;
  }

  private final Lister lister;
  private List<DirEntry> entries;
  private boolean fresh = true;

  OverlayDirectory(Lister lister) throws IOException {
    this.lister = lister;
    this.entries = lister.list();
  }

  /**
   * The entries after {@code offset} (0 = from the start, which also takes the listing again).
   */
  public synchronized List<DirEntry> read(long offset) throws IOException {
    if (offset == 0 && !fresh) {
      entries = lister.list();
    }
    fresh = false;
    if (offset < 0 || offset >= entries.size()) {
      return List.of();
    }
    return entries.subList((int) offset, entries.size());
  }

  /** The listing as it was last taken. */
  public synchronized List<DirEntry> entries() {
    return entries;
  }
}
