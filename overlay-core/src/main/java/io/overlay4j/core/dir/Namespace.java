package io.overlay4j.core.dir;

import io.overlay4j.core.Errno;
import io.overlay4j.core.FileType;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.Stat;
import io.overlay4j.core.copyup.CopyUp;
import io.overlay4j.core.copyup.WorkDir;
import io.overlay4j.core.format.OciWhiteouts;
import io.overlay4j.core.format.OverlayXattrs;
import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.LayerFile;
import io.overlay4j.core.layer.LayerStack;
import io.overlay4j.core.layer.WritableLayer;
import io.overlay4j.core.lookup.Lookup;
import io.overlay4j.core.lookup.MergedEntry;
import io.overlay4j.core.lookup.PathResolver.Resolution;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * The operations that change names (the kernel's dir.c): create, mkdir, mknod, symlink, link,
 * unlink, rmdir and rename. A name that a lower layer has is deleted by a whiteout, never by
 * copying anything up; a directory made where a whiteout was is opaque. Callers hold the
 * overlay's mutation lock.
 */
public final class Namespace {
  private static final int S_ISGID = 02000;

  /** What {@link #create} makes. */
  public record NewObject(FileType type, int mode, long rdev, String linkTarget, int uid, int gid) {}

  /** Options of the mount that change how names are made. */
  public record Settings(boolean ociWhiteouts, boolean createRedirects, boolean opaqueNewDirs,
      boolean metacopy) {}

  private final LayerStack layers;
  private final WritableLayer upper;
  private final WorkDir work;
  private final OverlayXattrs xattrs;
  private final Lookup lookup;
  private final CopyUp copyUp;
  private final Settings settings;
  private final LongAdder whiteouts = new LongAdder();

  public Namespace(LayerStack layers, WorkDir work, OverlayXattrs xattrs, Lookup lookup,
      CopyUp copyUp, Settings settings) {
    this.layers = layers;
    this.upper = layers.upper();
    this.work = work;
    this.xattrs = xattrs;
    this.lookup = lookup;
    this.copyUp = copyUp;
    this.settings = settings;
  }

  public long whiteoutsWritten() {
    return whiteouts.sum();
  }

  // ---- creating ----

  /** Creates a file, directory, device node, FIFO, socket or symlink at a name that is free. */
  public void create(Resolution r, NewObject o) throws IOException {
    make(r, o, false);
  }

  /** A regular file just created: its merged entry (cached) and the file, open read-write. */
  public record Created(MergedEntry entry, LayerFile file) {}

  /**
   * Creates a regular file at a name that is free and returns it open for reading and writing,
   * with its entry, without looking it up or opening it again.
   */
  public Created createOpen(Resolution r, NewObject o) throws IOException {
    if (o.type() != FileType.REGULAR) {
      throw new IllegalArgumentException("createOpen of a " + o.type());
    }
    return make(r, o, true);
  }

  private Created make(Resolution r, NewObject o, boolean open) throws IOException {
    requireWritable(r);
    requireStorableName(r);
    if (r.parent() == null || r.entry().exists()) {
      throw new OverlayException(Errno.EEXIST, r.entry().path());
    }
    if (o.type() == FileType.CHAR_DEVICE && o.rdev() == 0) {
      throw new OverlayException(Errno.EPERM, r.entry().path(), "a 0/0 device is a whiteout");
    }
    MergedEntry parent = copyUp.copyUp(r.parent(), CopyUp.Data.FULL);
    String parentRel = CopyUp.upperPath(parent.path());
    String rel = Layer.child(parentRel, r.name());
    Stat pst = parent.top().stat();
    int gid = o.gid();
    int mode = o.mode();
    if ((pst.mode() & S_ISGID) != 0) {
      gid = pst.gid(); // BSD group semantics of a set-group-ID directory
      if (o.type() == FileType.DIRECTORY) {
        mode |= S_ISGID;
      }
    }
    boolean dir = o.type() == FileType.DIRECTORY;
    LayerFile file = null;
    // A free name has nothing in the upper layer but possibly a whiteout: try the direct
    // create first, and take the whiteout's place only when the name is taken there.
    boolean overWhiteout = false;
    try {
      file = make(upper, rel, o, mode, gid, open);
    } catch (OverlayException e) {
      if (e.errno() != Errno.EEXIST || upper.stat(rel) == null) {
        throw e;
      }
      overWhiteout = true;
    }
    boolean opaque = dir && (overWhiteout
        || settings.opaqueNewDirs() && parent.isMerged());
    try {
      if (!overWhiteout) {
        if (opaque) {
          markOpaque(rel);
        }
      } else {
        String tmp = work.tempName();
        WritableLayer w = work.layer();
        try {
          file = make(w, tmp, o, mode, gid, open);
          if (opaque && !settings.ociWhiteouts()) {
            w.setXattr(tmp, xattrs.opaque(), OverlayXattrs.OPAQUE_YES);
          }
          replace(tmp, rel);
        } catch (IOException | RuntimeException e) {
          work.removeTree(tmp);
          throw e;
        }
        if (opaque && settings.ociWhiteouts()) {
          markOpaque(rel);
        }
      }
      clearOciWhiteout(parentRel, r.name());
      // (A parent's entry does not change with its children: its copies and opaque mark stay.)
      if (file == null) {
        lookup.cache().invalidate(r.entry().path());
        return null;
      }
      Stat st = upper.stat(rel);
      if ((st.mode() & 07777) != (mode & 07777)) { // the process's umask took bits
        upper.chmod(rel, mode);
        st = upper.stat(rel);
      }
      return new Created(lookup.created(r.entry().path(), rel, st), file);
    } catch (IOException | RuntimeException e) {
      if (file != null) {
        file.close();
      }
      throw e;
    }
  }

  /** Makes the object; for a regular file with {@code open}, returns it open read-write. */
  private LayerFile make(WritableLayer w, String path, NewObject o, int mode, int gid,
      boolean open) throws IOException {
    LayerFile file = null;
    switch (o.type()) {
      case DIRECTORY -> w.mkdir(path, mode);
      case REGULAR -> {
        if (open) {
          file = w.createOpen(path, mode);
        } else {
          w.createFile(path, mode);
        }
      }
      case SYMLINK -> w.symlink(path, o.linkTarget());
      default -> w.mknod(path, o.type(), mode, o.rdev());
    }
    if (o.uid() != -1 || gid != -1) {
      try {
        w.chown(path, o.uid(), gid);
        if (o.type() != FileType.SYMLINK && (mode & 06000) != 0) {
          w.chmod(path, mode); // chown cleared the set-id bits the caller asked for
        }
      } catch (IOException | RuntimeException e) {
        if (file != null) {
          file.close();
        }
        throw e;
      }
    }
    return file;
  }

  /** Makes a new hard link {@code to} of the non-directory {@code from}. */
  public void link(Resolution from, Resolution to) throws IOException {
    requireWritable(to);
    MergedEntry src = from.require();
    // do_linkat(): the new name must be free (filename_create) before vfs_link refuses a
    // directory.
    if (to.parent() == null || to.entry().exists()) {
      throw new OverlayException(Errno.EEXIST, to.entry().path());
    }
    requireStorableName(to);
    if (src.isDirectory()) {
      throw new OverlayException(Errno.EPERM, src.path(), "hard link of a directory");
    }
    MergedEntry up = copyUp.copyUp(src, settings.metacopy() ? CopyUp.Data.META : CopyUp.Data.FULL);
    copyUp.redirectToData(up, false);
    MergedEntry parent = copyUp.copyUp(to.parent(), CopyUp.Data.FULL);
    String rel = Layer.child(CopyUp.upperPath(parent.path()), to.name());
    if (upper.stat(rel) != null) {
      upper.unlink(rel); // a whiteout: the new name replaces it
    }
    upper.link(up.top().path(), rel);
    if (upper.getXattr(rel, xattrs.origin()) != null) {
      copyUp.markImpure(CopyUp.upperPath(parent.path()));
    }
    clearOciWhiteout(CopyUp.upperPath(parent.path()), to.name());
    lookup.cache().invalidate(src.path());
    lookup.cache().invalidate(to.entry().path());
  }

  // ---- deleting ----

  /** Removes a non-directory: from upper, and with a whiteout where a lower layer has it. */
  public void unlink(Resolution r) throws IOException {
    requireWritable(r);
    MergedEntry e = r.require();
    if (e.isDirectory()) {
      throw new OverlayException(Errno.EISDIR, e.path());
    }
    remove(r, e);
  }

  /** Removes a directory that is empty in the merged view. */
  public void rmdir(Resolution r) throws IOException {
    requireWritable(r);
    MergedEntry e = r.require();
    if (!e.isDirectory()) {
      throw new OverlayException(Errno.ENOTDIR, e.path());
    }
    if (r.parent() == null) {
      throw new OverlayException(Errno.EBUSY, e.path(), "the overlay root");
    }
    requireEmpty(e);
    if (e.isUpper() && (settings.ociWhiteouts() || !lowerHas(r.parent(), r.name()))) {
      // (A directory that becomes a whiteout is swapped out whole with its whiteouts inside:
      // purging them first would let a crash in between bring deleted names back.)
      purgeWhiteouts(e.top().path());
    }
    remove(r, e);
  }

  private void remove(Resolution r, MergedEntry e) throws IOException {
    boolean needsWhiteout = lowerHas(r.parent(), r.name());
    String rel = CopyUp.upperPath(e.path());
    if (needsWhiteout) {
      MergedEntry parent = copyUp.copyUp(r.parent(), CopyUp.Data.FULL);
      whiteout(CopyUp.upperPath(parent.path()), r.name());
    } else if (e.isDirectory()) {
      upper.rmdir(rel);
    } else {
      upper.unlink(rel);
    }
    if (e.isDirectory()) {
      lookup.cache().invalidateTree(e.path());
    } else {
      lookup.cache().invalidate(e.path());
    }
  }

  // ---- renaming ----

  /** The flags renameat2 accepts at all; RENAME_WHITEOUT is refused later, by ovl_rename. */
  public static void checkRenameFlags(String path, int flags) throws OverlayException {
    int known = WritableLayer.RENAME_NOREPLACE | WritableLayer.RENAME_EXCHANGE
        | WritableLayer.RENAME_WHITEOUT;
    if ((flags & ~known) != 0 || (flags & WritableLayer.RENAME_EXCHANGE) != 0
        && (flags & (WritableLayer.RENAME_NOREPLACE | WritableLayer.RENAME_WHITEOUT)) != 0) {
      throw new OverlayException(Errno.EINVAL, path, "rename flags " + flags);
    }
  }

  /**
   * {@code renameat2} with 0, RENAME_NOREPLACE or RENAME_EXCHANGE (RENAME_WHITEOUT: EINVAL, as
   * the kernel's overlay). The errors come in the kernel's order: do_renameat2's flag checks,
   * the source (ENOENT), the target (EEXIST for NOREPLACE, ENOENT for EXCHANGE), the
   * ancestor traps (EINVAL, ENOTEMPTY), the same object (nothing to do), vfs_rename's type
   * checks (ENOTDIR, EISDIR), then ovl_rename's: RENAME_WHITEOUT, EXDEV, a non-empty target.
   */
  public void rename(Resolution from, Resolution to, int flags) throws IOException {
    checkRenameFlags(from.entry().path(), flags);
    requireWritable(from);
    if (from.parent() == null || to.parent() == null) {
      throw new OverlayException(Errno.EBUSY, from.entry().path(), "the overlay root");
    }
    boolean exchange = (flags & WritableLayer.RENAME_EXCHANGE) != 0;
    requireStorableName(to);
    MergedEntry src = from.require();
    MergedEntry dst = to.entry();
    if ((flags & WritableLayer.RENAME_NOREPLACE) != 0 && dst.exists()) {
      throw new OverlayException(Errno.EEXIST, dst.path());
    }
    if (exchange && !dst.exists()) {
      throw new OverlayException(Errno.ENOENT, dst.path());
    }
    if (src.isDirectory() && dst.path().startsWith(src.path() + "/")) {
      throw new OverlayException(Errno.EINVAL, dst.path(), "a directory cannot move into itself");
    }
    if (dst.isDirectory() && src.path().startsWith(dst.path() + "/")) {
      // lock_rename()'s trap on the target side: ENOTEMPTY, or EINVAL for an exchange.
      throw new OverlayException(exchange ? Errno.EINVAL : Errno.ENOTEMPTY, dst.path(),
          "the target is an ancestor of the source");
    }
    if (src.path().equals(dst.path()) || sameInode(src, dst)) {
      return; // vfs_rename(): one inode, nothing to do
    }
    if (dst.exists() && !exchange) {
      if (src.isDirectory() && !dst.isDirectory()) {
        throw new OverlayException(Errno.ENOTDIR, dst.path());
      }
      if (!src.isDirectory() && dst.isDirectory()) {
        throw new OverlayException(Errno.EISDIR, dst.path());
      }
    }
    if ((flags & WritableLayer.RENAME_WHITEOUT) != 0) {
      throw new OverlayException(Errno.EINVAL, src.path(), "RENAME_WHITEOUT on an overlay");
    }
    String redirect = redirectFor(from, to, src);
    String dstRedirect = exchange ? redirectFor(to, from, dst) : null; // EXDEV for both sides
    boolean pureUpperTarget = !exchange && dst.isDirectory() && !dst.hasLower();
    if (!exchange && dst.isDirectory() && !pureUpperTarget) {
      requireEmpty(dst); // ovl_check_empty_dir(), before any copy-up
    }
    boolean sameParent = from.parent().path().equals(to.parent().path());
    CopyUp.Data data = settings.metacopy() ? CopyUp.Data.META : CopyUp.Data.FULL;
    MergedEntry srcUp = copyUp.copyUp(src, data);
    copyUp.redirectToData(srcUp, sameParent);
    MergedEntry dstParent = copyUp.copyUp(to.parent(), CopyUp.Data.FULL);
    String fromRel = srcUp.top().path();
    String toRel = Layer.child(CopyUp.upperPath(dstParent.path()), to.name());
    boolean srcNeedsWhiteout = lowerHas(from.parent(), from.name());
    if (redirect != null) {
      setRedirect(fromRel, redirect);
    }
    if (exchange) {
      MergedEntry dstUp = copyUp.copyUp(dst, data);
      copyUp.redirectToData(dstUp, sameParent);
      String dstRel = dstUp.top().path();
      if (dstRedirect != null) {
        setRedirect(dstRel, dstRedirect);
      }
      // ovl_rename(): each moved directory without lower copies that lands in a merged parent
      // is made opaque, so nothing of a lower directory of that name shows through it.
      if (src.isDirectory() && !src.hasLower() && !src.isOpaque() && dstParent.hasLower()) {
        markOpaque(fromRel);
      }
      if (dst.isDirectory() && !dst.hasLower() && !dst.isOpaque() && from.parent().hasLower()) {
        markOpaque(dstRel);
      }
      upper.rename(fromRel, dstRel, WritableLayer.RENAME_EXCHANGE);
      copyUp.markImpure(CopyUp.upperPath(from.parent().path()));
      copyUp.markImpure(CopyUp.upperPath(dstParent.path()));
    } else {
      if (src.isDirectory() && !src.hasLower() && (dst.hasLower()
          || lowerHas(to.parent(), to.name()) || dstParent.isMerged())) {
        // Nothing of a lower directory at the new name may show through the moved one.
        markOpaque(fromRel);
      }
      if (pureUpperTarget) {
        requireEmpty(dst); // the upper file system's ENOTEMPTY: after the copy-ups, as there
      }
      Stat atTarget = upper.stat(toRel);
      if (atTarget != null && atTarget.isDirectory()) {
        purgeWhiteouts(toRel);
      }
      boolean whiteoutLeft = false;
      if (atTarget != null && src.isDirectory() && !atTarget.isDirectory()) {
        // A directory over a whiteout: swap them, then drop the whiteout.
        upper.rename(fromRel, toRel, WritableLayer.RENAME_EXCHANGE);
        upper.unlink(fromRel);
      } else if (srcNeedsWhiteout && !settings.ociWhiteouts()) {
        // The kernel's way: move and leave the whiteout in one step, so no crash shows both.
        whiteoutLeft = renameWhiteout(fromRel, toRel);
      } else {
        upper.rename(fromRel, toRel, 0);
      }
      clearOciWhiteout(CopyUp.upperPath(dstParent.path()), to.name());
      if (srcNeedsWhiteout && !whiteoutLeft) {
        whiteout(Layer.parent(fromRel), from.name());
      }
      if (src.isDirectory() ? src.hasLower()
          : upper.getXattr(toRel, xattrs.origin()) != null) {
        copyUp.markImpure(CopyUp.upperPath(dstParent.path()));
      }
    }
    lookup.cache().invalidateTree(src.path());
    lookup.cache().invalidateTree(dst.path());
  }

  private void setRedirect(String rel, String redirect) throws IOException {
    upper.setXattr(rel, xattrs.redirect(),
        redirect.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Whether two names are one overlay inode: hard links of one upper inode. (Names of a lower
   * hard link not yet copied up are distinct overlay inodes with index=off: copy-up would
   * break the link.)
   */
  private static boolean sameInode(MergedEntry a, MergedEntry b) {
    if (!a.exists() || !b.exists() || a.isDirectory() || b.isDirectory()
        || !a.isUpper() || !b.isUpper()) {
      return false;
    }
    Stat x = a.top().stat();
    Stat y = b.top().stat();
    return x.ino() == y.ino() && x.dev() == y.dev();
  }

  /**
   * The redirect to store on a moved directory that has lower copies (EXDEV unless
   * redirect_dir=on), or null when none is needed.
   */
  private String redirectFor(Resolution from, Resolution to, MergedEntry src) throws IOException {
    if (!src.isDirectory() || !src.hasLower()) {
      return null;
    }
    if (!settings.createRedirects()) {
      throw new OverlayException(Errno.EXDEV, src.path(),
          "a directory with lower layers moves only with redirect_dir=on");
    }
    if (src.isUpper()) {
      byte[] existing = upper.getXattr(src.top().path(), xattrs.redirect());
      if (existing != null) {
        String old = OverlayXattrs.redirectTarget(existing);
        if (old.startsWith("/")) {
          return old;
        }
      }
    }
    for (MergedEntry.Copy c : src.copies()) {
      if (c.layer() != LayerStack.UPPER) {
        boolean sameParent = from.parent().path().equals(to.parent().path())
            && Layer.parent(c.path()).equals(Layer.parent(CopyUp.upperPath(src.path())));
        return sameParent ? Layer.fileName(c.path()) : "/" + c.path();
      }
    }
    return null;
  }

  /** rename with RENAME_WHITEOUT; false (and a plain rename) where the layer cannot. */
  private boolean renameWhiteout(String fromRel, String toRel) throws IOException {
    try {
      upper.rename(fromRel, toRel, WritableLayer.RENAME_WHITEOUT);
      whiteouts.increment();
      return true;
    } catch (OverlayException e) {
      if (e.errno() != Errno.EINVAL && e.errno() != Errno.EOPNOTSUPP
          && e.errno() != Errno.EPERM) {
        throw e;
      }
      upper.rename(fromRel, toRel, 0);
      return false;
    }
  }

  // ---- whiteouts and opaque directories ----

  /** Replaces whatever upper has at {@code dir/name} (or nothing) with a whiteout. */
  private void whiteout(String dir, String name) throws IOException {
    String rel = Layer.child(dir, name);
    Stat there = upper.stat(rel);
    if (settings.ociWhiteouts()) {
      // The marker first: a crash before the object goes shows nothing of below.
      String marker = Layer.child(dir, OciWhiteouts.whiteoutFor(name));
      if (upper.stat(marker) == null) {
        upper.createFile(marker, 0);
      }
      if (there != null) {
        if (there.isDirectory()) {
          String tmp = work.tempName();
          work.layer().renameFrom(upper, rel, tmp, 0);
          work.removeTree(tmp);
        } else {
          upper.unlink(rel);
        }
      }
    } else {
      String tmp = work.tempName();
      work.makeWhiteout(tmp);
      replace(tmp, rel);
    }
    whiteouts.increment();
  }

  /**
   * Renames {@code tmp} of the work directory over {@code rel} of upper, which may be absent, a
   * non-directory, or a directory (swapped out, then removed from work).
   */
  private void replace(String tmp, String rel) throws IOException {
    WritableLayer w = work.layer();
    Stat there = upper.stat(rel);
    Stat mine = w.stat(tmp);
    if (there == null) {
      upper.renameFrom(w, tmp, rel, WritableLayer.RENAME_NOREPLACE);
    } else if (there.isDirectory() || mine.isDirectory()) {
      upper.renameFrom(w, tmp, rel, WritableLayer.RENAME_EXCHANGE);
      work.removeTree(tmp);
    } else {
      upper.renameFrom(w, tmp, rel, 0);
    }
  }

  private void markOpaque(String rel) throws IOException {
    if (settings.ociWhiteouts()) {
      String marker = Layer.child(rel, OciWhiteouts.OPAQUE_MARKER);
      if (upper.stat(marker) == null) {
        upper.createFile(marker, 0);
      }
    } else {
      upper.setXattr(rel, xattrs.opaque(), OverlayXattrs.OPAQUE_YES);
    }
  }

  private void clearOciWhiteout(String dir, String name) throws IOException {
    if (settings.ociWhiteouts() && name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
        + OciWhiteouts.PREFIX.length() <= 255) { // (no marker can exist for a longer name)
      String marker = Layer.child(dir, OciWhiteouts.whiteoutFor(name));
      if (upper.stat(marker) != null) {
        upper.unlink(marker);
      }
    }
  }

  /** Removes the whiteouts (the only things left) from an upper directory about to go. */
  private void purgeWhiteouts(String rel) throws IOException {
    for (String name : upper.list(rel)) {
      String child = Layer.child(rel, name);
      Stat st = upper.stat(child);
      boolean marker = settings.ociWhiteouts() && OciWhiteouts.isMarker(name);
      if (st != null && (marker || lookup.isWhiteout(upper, child, st))) {
        upper.unlink(child);
      } else if (st != null) {
        throw new OverlayException(Errno.ENOTEMPTY, "/" + rel);
      }
    }
  }

  /**
   * ENOTEMPTY unless no name in the directory resolves in the merged view. As the kernel's
   * ovl_check_empty_dir(), an xattr whiteout of a lower copy (the topmost object of its name)
   * counts as an entry: that check does not resolve them, so such a directory cannot go.
   */
  private void requireEmpty(MergedEntry dir) throws IOException {
    Set<String> seen = new HashSet<>();
    for (MergedEntry.Copy c : dir.copies()) {
      Layer layer = layers.get(c.layer());
      for (String name : layer.list(c.path())) {
        if (!seen.add(name)) {
          continue;
        }
        if (c.layer() != LayerStack.UPPER) {
          String path = Layer.child(c.path(), name);
          Stat st = layer.stat(path);
          if (st != null && st.isRegularFile() && st.size() == 0
              && lookup.isXattrWhiteout(layer, path)) {
            throw new OverlayException(Errno.ENOTEMPTY, dir.path(), "holds an xattr whiteout");
          }
        }
        if (lookup.child(dir, name).exists()) {
          throw new OverlayException(Errno.ENOTEMPTY, dir.path());
        }
      }
    }
  }

  /** Whether a lower layer has {@code name} under the merged directory {@code parent}. */
  private boolean lowerHas(MergedEntry parent, String name) throws IOException {
    for (MergedEntry.Copy c : parent.copies()) {
      if (c.layer() == LayerStack.UPPER) {
        continue;
      }
      Layer l = layers.get(c.layer());
      String path = Layer.child(c.path(), name);
      Stat st = l.stat(path);
      if (st != null) {
        return !lookup.isWhiteout(l, path, st);
      }
    }
    return false;
  }

  /** With OCI whiteouts a {@code .wh.} name is format, not a file: it cannot be made. */
  private void requireStorableName(Resolution r) throws OverlayException {
    if (settings.ociWhiteouts() && OciWhiteouts.isMarker(r.name())) {
      throw new OverlayException(Errno.EINVAL, r.entry().path(),
          "a .wh. name is an OCI whiteout marker in this overlay");
    }
  }

  private void requireWritable(Resolution r) throws OverlayException {
    if (upper == null) {
      throw new OverlayException(Errno.EROFS, r.entry().path());
    }
  }
}
