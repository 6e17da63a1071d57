package io.overlay4j.core.copyup;

import io.overlay4j.core.Errno;
import io.overlay4j.core.FileType;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.Stat;
import io.overlay4j.core.format.OverlayXattrs;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.LayerStack;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.lookup.Attributes;
import io.overlay4j.core.lookup.Lookup;
import io.overlay4j.core.lookup.MergedEntry;
import io.overlay4j.core.lookup.PathResolver;
import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Copies a lower object into upper (the kernel's copy_up.c): parents first, then the object
 * with its data, mode, owner, nanosecond times, user xattrs and an {@code origin} handle. The
 * copy is built in the work directory and renamed into place, so a crash leaves either no
 * upper copy or a complete one. Callers hold the overlay's mutation lock, which is what makes
 * concurrent triggers of one copy-up produce exactly one copy.
 */
public final class CopyUp {
  /** How much of a regular file to copy. */
  public enum Data {
    /** The whole file. */
    FULL,
    /** Metadata only (metacopy=on): a sparse file of the same size marked {@code metacopy}. */
    META,
    /** Nothing: the caller is about to truncate the file to zero (open with O_TRUNC). */
    NONE
  }

  private final LayerStack layers;
  private final WritableLayer upper;
  private final WorkDir work;
  private final OverlayXattrs xattrs;
  private final Lookup lookup;
  private final PathResolver resolver;
  private final Attributes attributes;
  private final boolean sync;
  private final LongAdder copyUps = new LongAdder();
  private final LongAdder bytesCopied = new LongAdder();
  private final java.util.concurrent.atomic.AtomicLong generation =
      new java.util.concurrent.atomic.AtomicLong();

  public CopyUp(LayerStack layers, WorkDir work, OverlayXattrs xattrs, Lookup lookup,
      PathResolver resolver, Attributes attributes, boolean sync) {
    this.layers = layers;
    this.upper = layers.upper();
    this.work = work;
    this.xattrs = xattrs;
    this.lookup = lookup;
    this.resolver = resolver;
    this.attributes = attributes;
    this.sync = sync;
  }

  /**
   * Ensures the object of {@code e} is in upper (with its data, unless {@code data} says
   * otherwise) and returns its entry as it is afterwards.
   */
  public MergedEntry copyUp(MergedEntry e, Data data) throws IOException {
    if (!e.exists()) {
      throw new OverlayException(Errno.ENOENT, e.path());
    }
    if (upper == null) {
      throw new OverlayException(Errno.EROFS, e.path());
    }
    if (e.isUpper()) {
      if (data == Data.FULL && isMetacopy(e)) {
        copyMetacopyData(e);
        return relookup(e.path());
      }
      return e;
    }
    MergedEntry fresh = relookup(e.path());
    if (fresh.isUpper()) {
      return copyUp(fresh, data); // a caller's entry from before an earlier copy-up
    }
    MergedEntry parent = parentOf(e);
    if (!parent.isUpper()) {
      copyUp(parent, Data.FULL);
    }
    MergedEntry.Copy src = e.top();
    Layer from = layers.get(src.layer());
    Stat st = from.stat(src.path());
    if (st == null) {
      throw new OverlayException(Errno.ENOENT, e.path(), "lower object vanished");
    }
    String target = upperPath(e.path());
    String tmp = work.tempName();
    WritableLayer w = work.layer();
    Stat parentTimes = upper.stat(Layer.parent(target));
    byte[] origin;
    try {
      build(from, src.path(), st, tmp, data);
      // A lower hard link's copies may part ways (index=off): no origin, as the kernel does.
      origin = st.isDirectory() || st.nlink() == 1 ? from.originOf(src.path()) : null;
      if (origin != null) {
        w.setXattr(tmp, xattrs.origin(), origin);
      }
      upper.renameFrom(w, tmp, target, WritableLayer.RENAME_NOREPLACE);
    } catch (IOException | RuntimeException ex) {
      work.removeTree(tmp);
      throw ex;
    }
    markImpure(Layer.parent(target));
    // A copy-up is no change of the parent's contents: keep its times, as the kernel does.
    upper.setTimes(Layer.parent(target), parentTimes.atimeNanos(), parentTimes.mtimeNanos());
    copyUps.increment();
    generation.incrementAndGet();
    lookup.cache().invalidate(e.path());
    MergedEntry copied = relookup(e.path());
    if (origin != null) {
      attributes.copiedUp(copied, src.layer(), st);
    }
    return copied;
  }

  /** Builds a copy of {@code from:path} at {@code tmp} in the work directory. */
  private void build(Layer from, String path, Stat st, String tmp, Data data) throws IOException {
    WritableLayer w = work.layer();
    switch (st.type()) {
      case DIRECTORY -> w.mkdir(tmp, 0700);
      case SYMLINK -> w.symlink(tmp, from.readLink(path));
      case REGULAR -> {
        if (data == Data.FULL) {
          w.copyData(from, path, tmp, sync);
          bytesCopied.add(st.size());
        } else {
          w.createFile(tmp, 0600);
        }
        if (data == Data.META) {
          try (LayerFile f = w.open(tmp, true)) {
            f.truncate(st.size());
          }
          w.setXattr(tmp, xattrs.metacopy(), new byte[0]);
        }
      }
      default -> w.mknod(tmp, st.type(), st.mode(), st.rdev());
    }
    copyXattrs(from, path, w, tmp);
    setOwnerModeTimes(w, tmp, st);
  }

  private void copyXattrs(Layer from, String path, WritableLayer to, String toPath)
      throws IOException {
    for (String name : from.listXattrs(path)) {
      if (xattrs.isPrivate(name)) {
        continue; // the overlay's own attributes describe the lower object, not the copy
      }
      byte[] value = from.getXattr(path, name);
      if (value != null) {
        to.setXattr(toPath, name, value);
      }
    }
  }

  /** Owner first (chown clears set-id bits), then the mode, then times (last: nothing after touches them). */
  static void setOwnerModeTimes(WritableLayer w, String path, Stat st) throws IOException {
    w.chown(path, st.uid(), st.gid());
    if (st.type() != FileType.SYMLINK) {
      w.chmod(path, st.mode());
    }
    w.setTimes(path, st.atimeNanos(), st.mtimeNanos());
  }

  /** Copies the data of an upper metacopy file from its lower data, then clears the mark. */
  private void copyMetacopyData(MergedEntry e) throws IOException {
    MergedEntry.Copy meta = e.top();
    MergedEntry.Copy data = e.copies().get(e.copies().size() - 1);
    Stat st = upper.stat(meta.path());
    try (LayerFile in = layers.get(data.layer()).open(data.path(), false);
        LayerFile out = upper.open(meta.path(), true)) {
      bytesCopied.add(LayerFile.copy(in, out));
      if (sync) {
        out.sync(true);
      }
    }
    upper.removeXattr(meta.path(), xattrs.metacopy());
    upper.setTimes(meta.path(), st.atimeNanos(), st.mtimeNanos());
    generation.incrementAndGet();
    lookup.cache().invalidate(e.path());
  }

  /** Whether an upper object is a metacopy whose data still lives in a lower layer. */
  public boolean isMetacopy(MergedEntry e) throws IOException {
    return e.isUpper() && e.top().stat().isRegularFile() && e.copies().size() > 1;
  }

  /**
   * Before a metacopy file moves or gains a name, records where its data is, since lookup will
   * no longer find the data at the file's own path.
   */
  public void redirectToData(MergedEntry up, boolean staysInItsDirectory) throws IOException {
    if (isMetacopy(up) && upper.getXattr(up.top().path(), xattrs.redirect()) == null) {
      String data = up.dataCopy().path();
      // As the kernel: relative when the data sits in the same directory and the file stays.
      boolean relative = staysInItsDirectory
          && Layer.parent(data).equals(Layer.parent(up.top().path()));
      upper.setXattr(up.top().path(), xattrs.redirect(), (relative ? Layer.fileName(data)
          : "/" + data).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** Marks an upper directory as holding copied-up or moved entries, as the kernel does. */
  public void markImpure(String upperDir) throws IOException {
    if (upper.getXattr(upperDir, xattrs.impure()) == null) {
      upper.setXattr(upperDir, xattrs.impure(), OverlayXattrs.OPAQUE_YES);
    }
  }

  /** The path in upper of a merged path: upper holds every object at its merged path. */
  public static String upperPath(String mergedPath) {
    return mergedPath.equals("/") ? "" : mergedPath.substring(1);
  }

  private MergedEntry parentOf(MergedEntry e) throws IOException {
    String parent = Layer.parent(upperPath(e.path()));
    return relookup("/" + parent);
  }

  private MergedEntry relookup(String mergedPath) throws IOException {
    return resolver.resolve(mergedPath, false).require();
  }

  public long copyUps() {
    return copyUps.sum();
  }

  /** Changes whenever an object's data moves to upper (a copy-up, or a metacopy's data). */
  public long generation() {
    return generation.get();
  }

  public long bytesCopied() {
    return bytesCopied.sum();
  }
}
