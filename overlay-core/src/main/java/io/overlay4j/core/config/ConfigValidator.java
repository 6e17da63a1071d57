package io.overlay4j.core.config;

import io.overlay4j.core.Errno;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks of {@link OverlayConfig#validate()}: what the kernel verifies when it mounts
 * (fs/overlayfs/params.c ovl_mount_dir_check, super.c ovl_get_upper, ovl_get_workdir,
 * ovl_get_layers, ovl_check_overlapping_layers, readdir.c's workdir cleanup refusing incompat
 * features) plus overlay4j's own requirements (one filesystem for upper and work, a workdir that
 * is empty or an overlay workdir).
 */
final class ConfigValidator {
  /** What an overlay workdir may contain besides nothing: the kernel's work/ and index/. */
  static final Set<String> WORKDIR_ENTRIES = Set.of("work", "index");

  private ConfigValidator() {}

  /** A layer directory with its role, for messages. */
  private static final class Layer {
    final String role; // "lowerdir", "data-only layer", "upperdir", "workdir"
    final Path path; // as configured
    Path real;
    Object fileKey;

    Layer(String role, Path path) {
      this.role = role;
      this.path = path;
    }

    String option() {
      return role.equals("data-only layer") ? "datadir+" : role;
    }

    String describe() {
      return role + " " + path;
    }

    boolean isLower() {
      return role.equals("lowerdir") || role.equals("data-only layer");
    }
  }

  /** Returns warnings; throws on the first problem. */
  static List<String> validate(OverlayConfig c) {
    List<String> warnings = new ArrayList<>();
    List<Layer> layers = new ArrayList<>();
    Layer upper = null;
    Layer work = null;
    if (c.upperDir().isPresent()) {
      upper = new Layer("upperdir", c.upperDir().get());
      work = new Layer("workdir", c.workDir().get());
      layers.add(upper);
      layers.add(work);
    }
    for (Path p : c.lowerDirs()) {
      layers.add(new Layer("lowerdir", p));
    }
    for (Path p : c.dataDirs()) {
      layers.add(new Layer("data-only layer", p));
    }

    for (Layer l : layers) {
      resolve(l);
    }
    if (upper != null) {
      checkUpperAndWork(upper, work);
    }
    checkDistinct(layers);
    checkOverlaps(layers, upper, work, warnings);
    if (upper != null) {
      checkWritable(upper);
      checkWorkdirContents(work);
    }
    return warnings;
  }

  /** The directory must exist and be a directory (symbolic links are followed, as by mount). */
  private static void resolve(Layer l) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(l.path, BasicFileAttributes.class);
    } catch (IOException e) {
      String why;
      if (Files.isSymbolicLink(l.path)) {
        why = "no such directory (dangling symbolic link)";
      } else if (!Files.exists(l.path, LinkOption.NOFOLLOW_LINKS)) {
        why = "no such directory";
      } else {
        why = "cannot be read (" + e + ")";
      }
      throw new OverlayConfigException(l.option(), l.describe() + ": " + why, Errno.ENOENT);
    }
    if (!attrs.isDirectory()) {
      throw new OverlayConfigException(
          l.option(), l.describe() + ": not a directory (" + kind(attrs) + ")", Errno.ENOTDIR);
    }
    try {
      l.real = l.path.toRealPath();
    } catch (IOException e) {
      throw new OverlayConfigException(
          l.option(), l.describe() + ": cannot resolve (" + e + ")", Errno.ENOENT);
    }
    l.fileKey = attrs.fileKey() != null ? attrs.fileKey() : l.real;
  }

  private static String kind(BasicFileAttributes a) {
    if (a.isRegularFile()) {
      return "a regular file";
    }
    if (a.isOther()) {
      return "a device, socket or fifo";
    }
    return "not a directory";
  }

  /** super.c ovl_get_workdir(): same mount, separate subtrees; overlay4j: same filesystem. */
  private static void checkUpperAndWork(Layer upper, Layer work) {
    if (Objects.equals(upper.fileKey, work.fileKey)) {
      throw new OverlayConfigException(
          "workdir",
          "workdir " + work.path + " is the same directory as upperdir " + upper.path
              + "; workdir must be a separate directory on the same filesystem");
    }
    if (work.real.startsWith(upper.real)) {
      throw new OverlayConfigException(
          "workdir",
          "workdir " + work.path + " is inside upperdir " + upper.path + realNote(work, upper)
              + "; the overlay would show its own scratch files");
    }
    if (upper.real.startsWith(work.real)) {
      throw new OverlayConfigException(
          "upperdir",
          "upperdir " + upper.path + " is inside workdir " + work.path + realNote(upper, work)
              + "; workdir and upperdir must be separate subtrees");
    }
    Object upperDev = device(upper.real);
    Object workDev = device(work.real);
    if (upperDev != null && workDev != null && !upperDev.equals(workDev)) {
      throw new OverlayConfigException(
          "workdir",
          "upperdir " + upper.path + " and workdir " + work.path
              + " are on different filesystems (device " + upperDev + " and " + workDev
              + "); files are moved from workdir into upperdir with rename(2), which cannot cross"
              + " filesystems");
    }
    MountTable mounts = MountTable.current();
    if (mounts != null) {
      MountTable.Mount um = mounts.mountOf(upper.real);
      MountTable.Mount wm = mounts.mountOf(work.real);
      if (um != null && wm != null && um.id != wm.id) {
        throw new OverlayConfigException(
            "workdir",
            "upperdir " + upper.path + " (mounted at " + um.mountPoint + ") and workdir "
                + work.path + " (mounted at " + wm.mountPoint
                + ") are on different mounts; they must be under the same mount, since rename(2)"
                + " cannot cross mounts even of one filesystem");
      }
    }
  }

  private static String realNote(Layer a, Layer b) {
    if (a.real.equals(a.path) && b.real.equals(b.path)) {
      return "";
    }
    return " (after resolving symbolic links: " + a.real + " is inside " + b.real + ")";
  }

  private static Object device(Path p) {
    try {
      return Files.getAttribute(p, "unix:dev");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return null;
    }
  }

  /** super.c ovl_setup_trap(): a directory used twice is "conflicting lowerdir path" (ELOOP). */
  private static void checkDistinct(List<Layer> layers) {
    for (int i = 0; i < layers.size(); i++) {
      Layer a = layers.get(i);
      for (int j = i + 1; j < layers.size(); j++) {
        Layer b = layers.get(j);
        if (!a.fileKey.equals(b.fileKey)) {
          continue;
        }
        String sameSpelling = a.path.equals(b.path) ? "" : " (both are " + a.real + ")";
        if (a.role.equals(b.role)) {
          throw new OverlayConfigException(
              b.option(),
              b.role + " " + b.path + " is given twice" + sameSpelling
                  + "; each layer must be a different directory",
              Errno.ELOOP);
        }
        throw new OverlayConfigException(
            b.option(),
            b.describe() + " is the same directory as " + a.describe() + sameSpelling
                + "; each layer must be a different directory",
            Errno.ELOOP);
      }
    }
  }

  /**
   * super.c ovl_check_overlapping_layers(): a lower layer inside another layer, the upperdir or
   * the workdir is "overlapping lowerdir path" (ELOOP). The kernel allows the upperdir or workdir
   * inside a lower layer; overlay4j warns, since writes then change that lower layer.
   */
  private static void checkOverlaps(
      List<Layer> layers, Layer upper, Layer work, List<String> warnings) {
    for (Layer inner : layers) {
      for (Layer outer : layers) {
        if (inner == outer || !inner.real.startsWith(outer.real) || inner.real.equals(outer.real)) {
          continue;
        }
        if (inner.isLower()) {
          throw new OverlayConfigException(
              inner.option(),
              inner.describe() + " is inside " + outer.describe() + realNote(inner, outer)
                  + "; layers must not overlap",
              Errno.ELOOP);
        }
        if (outer.isLower()) {
          warnings.add(
              inner.describe() + " is inside " + outer.describe()
                  + ": writes through the overlay also change that lower layer (the kernel allows"
                  + " this, with undefined results)");
        }
      }
    }
  }

  /** super.c ovl_get_upper(): "upper fs is r/o". */
  private static void checkWritable(Layer upper) {
    try {
      if (Files.getFileStore(upper.real).isReadOnly()) {
        throw new OverlayConfigException(
            "upperdir",
            "upperdir " + upper.path
                + " is on a read-only filesystem; use it as a lower layer for a read-only overlay");
      }
    } catch (IOException e) {
      // Cannot tell; creating work/ will fail later with a clear error.
    }
  }

  /**
   * The workdir must be empty or hold only an overlay's work/ and index/, and work/incompat/ must
   * be empty: the kernel refuses to mount over "incompat" features (readdir.c
   * ovl_workdir_cleanup_recurse), which a volatile mount leaves behind in
   * work/incompat/volatile.
   */
  private static void checkWorkdirContents(Layer work) {
    Set<String> names = list(work);
    Set<String> foreign = new TreeSet<>(names);
    foreign.removeAll(WORKDIR_ENTRIES);
    if (!foreign.isEmpty()) {
      throw new OverlayConfigException(
          "workdir",
          "workdir " + work.path + " is not empty and not an overlay workdir: it contains "
              + describeNames(foreign)
              + "; give an empty directory (an overlay workdir may hold only work/ and index/)");
    }
    for (String name : names) {
      Path p = work.path.resolve(name);
      if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new OverlayConfigException(
            "workdir",
            "workdir " + work.path + ": " + p
                + " is not a directory; it is not an overlay workdir (remove " + p + ")");
      }
    }
    Path incompat = work.path.resolve("work").resolve("incompat");
    if (!Files.isDirectory(incompat, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Set<String> features = list(new Layer("workdir", incompat));
    if (features.isEmpty()) {
      return;
    }
    String feature = features.iterator().next();
    Path marker = incompat.resolve(feature);
    if (feature.equals("volatile")) {
      throw new OverlayConfigException(
          "workdir",
          "workdir " + work.path + " has a volatile dirty marker from a previous volatile mount"
              + " (" + marker + "), so its upperdir may be inconsistent; remove " + marker
              + " to reuse it");
    }
    throw new OverlayConfigException(
        "workdir",
        "workdir " + work.path + " has the incompatible feature marker " + marker
            + " from another overlay implementation; remove " + marker + " to reuse it");
  }

  private static Set<String> list(Layer dir) {
    Set<String> names = new TreeSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.path)) {
      for (Path p : ds) {
        names.add(p.getFileName().toString());
      }
    } catch (IOException e) {
      throw new OverlayConfigException(
          "workdir", dir.describe() + ": cannot list (" + e + ")", Errno.EACCES);
    }
    return names;
  }

  private static String describeNames(Set<String> names) {
    StringBuilder sb = new StringBuilder();
    int n = 0;
    for (String name : names) {
      if (n == 3) {
        sb.append(" and ").append(names.size() - 3).append(" more");
        break;
      }
      if (n > 0) {
        sb.append(", ");
      }
      sb.append(OptionSyntax.quote(name));
      n++;
    }
    return sb.toString();
  }
}
