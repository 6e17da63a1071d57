package io.overlay4j.nio;

import io.overlay4j.core.DirEntry;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The entries of a merged directory as the core listed them when the stream was opened (as
 * {@code opendir} does: names created later appear in the next stream), filtered.
 */
final class OverlayDirectoryStream implements DirectoryStream<Path> {
  private final OverlayFileSystem fs;
  private final OverlayPath dir;
  private final List<DirEntry> entries;
  private final Filter<? super Path> filter;
  private volatile boolean closed;
  private boolean iterated;

  OverlayDirectoryStream(OverlayFileSystem fs, OverlayPath dir, List<DirEntry> entries,
      Filter<? super Path> filter) {
    this.fs = fs;
    this.dir = dir;
    this.entries = entries;
    this.filter = filter;
  }

  @Override
  public synchronized Iterator<Path> iterator() {
    if (closed) {
      throw new IllegalStateException("Directory stream is closed");
    }
    if (iterated) {
      throw new IllegalStateException("Iterator already obtained");
    }
    iterated = true;
    return new Iterator<>() {
      private int next;
      private Path pending;

      @Override
      public boolean hasNext() {
        while (pending == null && !closed && next < entries.size()) {
          Path p = dir.resolve(entries.get(next++).name());
          try {
            if (filter == null || filter.accept(p)) {
              pending = p;
            }
          } catch (IOException e) {
            throw new DirectoryIteratorException(e);
          }
        }
        return pending != null && !closed;
      }

      @Override
      public Path next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        Path p = pending;
        pending = null;
        return p;
      }
    };
  }

  @Override
  public void close() {
    closed = true;
    fs.released(this);
  }
}
