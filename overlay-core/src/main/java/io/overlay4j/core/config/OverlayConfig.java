package io.overlay4j.core.config;

import io.overlay4j.core.Errno;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The configuration of one overlay mount: its layers and features, as given by the kernel's
 * overlay mount options. Immutable; build one with {@link #builder()}, derive one with {@link
 * #toBuilder()}, or parse one with {@link #parse(String)}.
 *
 * <p>Every instance satisfies the kernel's rules for how options fit together (fs/overlayfs/
 * params.c, {@code ovl_fs_params_verify}, and the checks in super.c that need no filesystem
 * access), with the kernel's implications applied: {@code metacopy=on} implies {@code
 * redirect_dir=on}, {@code nfs_export=on} implies {@code index=on}, {@code userxattr} implies
 * {@code redirect_dir=nofollow}, and options that mean nothing without an upper layer
 * ({@code workdir}, {@code index=on}, {@code volatile}, {@code uuid=on}) are dropped with a
 * {@linkplain #warnings() warning}, as the kernel drops them with a line in its log. Getters report
 * these effective values. {@link #validate()} adds the checks that need the filesystem.
 *
 * <p>Defaults are those of the kernel module on the reference machine (kernel 6.18, module
 * parameters {@code redirect_dir=N redirect_always_follow=Y index=N xino_auto=N metacopy=N
 * nfs_export=N}): {@code redirect_dir=follow}, {@code index=off}, {@code xino=off}, {@code
 * metacopy=off}, {@code nfs_export=off}, {@code uuid=auto}. They are fixed here rather than read
 * from {@code /sys/module/overlay}, so a configuration means the same thing on every machine.
 *
 * <p>Paths are absolute: a relative path (in an option string or given to the builder) is
 * resolved against the current directory when it is parsed or added, as the kernel resolves it
 * against the mounting process's working directory. They are not otherwise normalized or
 * resolved; symbolic links are followed only by {@link #validate()} and when the layers are
 * opened.
 *
 * <p>{@link #equals} compares the effective configuration (not how it was written, and not the
 * warnings): {@code parse(c.toOptionString()).equals(c)} for every {@code c}.
 */
public final class OverlayConfig {
  /** The most lower layers (regular and data-only together) the kernel accepts (OVL_MAX_STACK). */
  public static final int MAX_LAYERS = 500;

  /** Default of {@link #lookupCacheSize()}. */
  public static final int DEFAULT_LOOKUP_CACHE_SIZE = 65536;

  static final RedirectDir DEFAULT_REDIRECT_DIR = RedirectDir.FOLLOW;
  static final boolean DEFAULT_METACOPY = false;
  static final boolean DEFAULT_INDEX = false;
  static final boolean DEFAULT_NFS_EXPORT = false;
  static final Xino DEFAULT_XINO = Xino.OFF;
  static final Uuid DEFAULT_UUID = Uuid.AUTO;
  static final WhiteoutFormat DEFAULT_WHITEOUT_FORMAT = WhiteoutFormat.KERNEL;

  private final List<Path> lowerDirs;
  private final List<Path> dataDirs;
  private final Path upperDir;
  private final Path workDir;
  private final boolean readOnly;
  private final RedirectDir redirectDir;
  private final boolean metacopy;
  private final Xino xino;
  private final boolean index;
  private final Uuid uuid;
  private final boolean nfsExport;
  private final boolean volatileMode;
  private final boolean userXattr;
  private final boolean defaultPermissions;
  private final WhiteoutFormat whiteoutFormat;
  private final int lookupCacheSize;
  private final List<String> warnings;
  /** The options as declared, so that toBuilder() behaves like appending options. */
  private final Builder declared;

  private OverlayConfig(Resolved r, Builder declared, List<String> warnings) {
    this.lowerDirs = List.copyOf(r.lowerDirs);
    this.dataDirs = List.copyOf(r.dataDirs);
    this.upperDir = r.upperDir;
    this.workDir = r.workDir;
    this.readOnly = r.readOnly;
    this.redirectDir = r.redirectDir;
    this.metacopy = r.metacopy;
    this.xino = r.xino;
    this.index = r.index;
    this.uuid = r.uuid;
    this.nfsExport = r.nfsExport;
    this.volatileMode = r.volatileMode;
    this.userXattr = r.userXattr;
    this.defaultPermissions = r.defaultPermissions;
    this.whiteoutFormat = r.whiteoutFormat;
    this.lookupCacheSize = r.lookupCacheSize;
    this.declared = declared;
    this.warnings = List.copyOf(warnings);
  }

  /** A copy of {@code base} with more warnings (used by {@link #validate()}). */
  private OverlayConfig(OverlayConfig base, List<String> moreWarnings) {
    this.lowerDirs = base.lowerDirs;
    this.dataDirs = base.dataDirs;
    this.upperDir = base.upperDir;
    this.workDir = base.workDir;
    this.readOnly = base.readOnly;
    this.redirectDir = base.redirectDir;
    this.metacopy = base.metacopy;
    this.xino = base.xino;
    this.index = base.index;
    this.uuid = base.uuid;
    this.nfsExport = base.nfsExport;
    this.volatileMode = base.volatileMode;
    this.userXattr = base.userXattr;
    this.defaultPermissions = base.defaultPermissions;
    this.whiteoutFormat = base.whiteoutFormat;
    this.lookupCacheSize = base.lookupCacheSize;
    this.declared = base.declared;
    List<String> all = new ArrayList<>(base.warnings);
    all.addAll(moreWarnings);
    this.warnings = List.copyOf(all);
  }

  /** A builder with no layers and every option at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding the options this configuration was built from, as if the option string
   * were continued: {@code parse("lowerdir=..,metacopy=on").toBuilder().redirectDir(OFF).build()}
   * fails like {@code parse("lowerdir=..,metacopy=on,redirect_dir=off")}, and {@code
   * parse("..,metacopy=on").toBuilder().metacopy(false).build()} is back to {@code
   * redirect_dir=follow}.
   */
  public Builder toBuilder() {
    return declared.copy();
  }

  /**
   * Splits a mount option string at the commas that are not escaped, keeping escapes in the
   * pieces, so a caller can take out options meant for someone else (mount(8)'s generic flags)
   * and pass the rest to {@link #parse(String)} joined with commas again.
   */
  public static List<String> splitOptions(String options) {
    return OptionSyntax.splitOptions(options);
  }

  /**
   * Parses a mount option string in the kernel's syntax, e.g. {@code
   * lowerdir=/l1:/l2,upperdir=/u,workdir=/w,metacopy=on}, and checks that the options fit
   * together. Does not touch the filesystem; call {@link #validate()} for that.
   *
   * <p>Syntax: {@code ,} separates options and {@code \} escapes the next character, so {@code
   * \,} is a comma inside a value. In {@code lowerdir=}, {@code upperdir=} and {@code workdir=}
   * paths, {@code \x} means {@code x}: {@code \,}, {@code \:} and {@code \\} are a literal comma,
   * colon and backslash. {@code lowerdir=A:B:C} lists lower layers topmost first; {@code
   * lowerdir=A:B::D1::D2} adds data-only layers after the first {@code ::}. {@code lowerdir+=DIR}
   * and {@code datadir+=DIR} append one layer each and, as in the kernel, take the path verbatim
   * (no unescaping, {@code :} is literal); they may not follow {@code lowerdir=}. A repeated option
   * replaces the earlier one. Empty options ({@code ,,}) are ignored.
   *
   * <p>Options: {@code lowerdir= lowerdir+= datadir+= upperdir= workdir=
   * redirect_dir=on|follow|nofollow|off metacopy=on|off xino=on|off|auto index=on|off
   * uuid=on|off|auto|null nfs_export=on|off volatile userxattr default_permissions ro rw}, and the
   * overlay4j extensions {@code whiteout=kernel|oci} and {@code lookup_cache=N}. {@code verity=} is
   * refused (overlay4j does not check fs-verity digests).
   *
   * @throws OverlayConfigException naming the option and the problem
   */
  public static OverlayConfig parse(String options) {
    return OptionParser.parse(options);
  }

  /**
   * Parses mount options given one per map entry, in the map's iteration order: the key is the
   * option name ({@code "lowerdir"}, {@code "lowerdir+"}, {@code "volatile"}, ...), the value is
   * what follows {@code =} in the option string, with the same escapes except that a comma needs
   * none; a flag such as {@code volatile} has a {@code null} or empty value. A key {@code
   * "options"} holds a whole option string; it is applied first, the other entries after it (so
   * they override it). A map holds one {@code lowerdir+} at most; give more layers as {@code
   * lowerdir=}.
   *
   * @throws OverlayConfigException naming the option and the problem
   */
  public static OverlayConfig parse(Map<String, String> options) {
    return OptionParser.parse(options);
  }

  /**
   * Checks this configuration against the filesystem, as the kernel does when mounting, and
   * with overlay4j's own requirements: every layer is an existing directory; no directory is
   * used twice; workdir and upperdir are distinct, neither inside the other, on one filesystem
   * and one mount; no lower layer is inside another layer, the upperdir or the workdir; the
   * upper filesystem is writable; the workdir is empty or an overlay workdir left by an earlier
   * mount (holding only {@code work/} and {@code index/}), and has no incompatible-feature marker
   * such as the one a {@code volatile} mount leaves in {@code work/incompat/volatile}.
   *
   * <p>Unlike the kernel, which mounts over a workdir holding anything (it only empties {@code
   * work/}), overlay4j refuses a workdir with other contents: a mistyped workdir= would otherwise
   * be silently filled.
   *
   * @return this configuration, or, when the filesystem gave reason to warn (an upperdir inside
   *     a lower layer, which the kernel allows), an equal one whose {@link #warnings()} say so
   * @throws OverlayConfigException naming the directory and the problem
   */
  public OverlayConfig validate() {
    List<String> more = ConfigValidator.validate(this);
    return more.isEmpty() ? this : new OverlayConfig(this, more);
  }

  /**
   * The options in the kernel's syntax, escaping {@code \}, {@code :} and {@code ,} in paths:
   * the lower layers as one {@code lowerdir=} (data-only layers after {@code ::}), then upperdir
   * and workdir, then every option whose effective value differs from the default. {@code
   * parse(c.toOptionString()).equals(c)} holds for every configuration, and the string is accepted
   * by {@code mount -t overlay} unless it uses an overlay4j extension.
   */
  public String toOptionString() {
    StringBuilder sb = new StringBuilder("lowerdir=");
    for (int i = 0; i < lowerDirs.size(); i++) {
      if (i > 0) {
        sb.append(':');
      }
      sb.append(OptionSyntax.escape(lowerDirs.get(i).toString()));
    }
    for (Path d : dataDirs) {
      sb.append("::").append(OptionSyntax.escape(d.toString()));
    }
    if (upperDir != null) {
      sb.append(",upperdir=").append(OptionSyntax.escape(upperDir.toString()));
      sb.append(",workdir=").append(OptionSyntax.escape(workDir.toString()));
      if (readOnly) {
        sb.append(",ro");
      }
    }
    if (defaultPermissions) {
      sb.append(",default_permissions");
    }
    if (redirectDir != DEFAULT_REDIRECT_DIR) {
      sb.append(",redirect_dir=").append(redirectDir.optionValue());
    }
    if (index != DEFAULT_INDEX) {
      sb.append(",index=").append(index ? "on" : "off");
    }
    if (uuid != DEFAULT_UUID) {
      sb.append(",uuid=").append(uuid.optionValue());
    }
    if (nfsExport != DEFAULT_NFS_EXPORT) {
      sb.append(",nfs_export=").append(nfsExport ? "on" : "off");
    }
    if (xino != DEFAULT_XINO) {
      sb.append(",xino=").append(xino.optionValue());
    }
    if (metacopy != DEFAULT_METACOPY) {
      sb.append(",metacopy=").append(metacopy ? "on" : "off");
    }
    if (volatileMode) {
      sb.append(",volatile");
    }
    if (userXattr) {
      sb.append(",userxattr");
    }
    if (whiteoutFormat != DEFAULT_WHITEOUT_FORMAT) {
      sb.append(",whiteout=").append(whiteoutFormat.optionValue());
    }
    if (lookupCacheSize != DEFAULT_LOOKUP_CACHE_SIZE) {
      sb.append(",lookup_cache=").append(lookupCacheSize);
    }
    return sb.toString();
  }

  /** The regular lower layers, topmost first: from {@code lowerdir=A:B:C}, A is index 0. */
  public List<Path> lowerDirs() {
    return lowerDirs;
  }

  /**
   * The data-only lower layers (after {@code ::} in lowerdir, or from {@code datadir+=}), in
   * order. They are invisible to lookup and readdir and reached only through an absolute {@code
   * redirect} of a metacopy file in a layer above.
   */
  public List<Path> dataDirs() {
    return dataDirs;
  }

  /** The upper (writable) layer; empty for a read-only overlay. */
  public Optional<Path> upperDir() {
    return Optional.ofNullable(upperDir);
  }

  /** The work directory; present exactly when {@link #upperDir()} is. */
  public Optional<Path> workDir() {
    return Optional.ofNullable(workDir);
  }

  /** Whether the overlay is read-only: it has no upper layer, or was mounted with {@code ro}. */
  public boolean readOnly() {
    return readOnly;
  }

  /** The effective {@code redirect_dir} mode ({@link RedirectDir#ON} when implied by metacopy). */
  public RedirectDir redirectDir() {
    return redirectDir;
  }

  /** Whether metadata-only copy-up is on. */
  public boolean metacopy() {
    return metacopy;
  }

  /** The {@code xino} mode. */
  public Xino xino() {
    return xino;
  }

  /** Whether the inodes index is on (implied by {@code nfs_export=on}; never with no upper). */
  public boolean index() {
    return index;
  }

  /** The {@code uuid} mode ({@link Uuid#NULL} when {@code uuid=on} was given without upper). */
  public Uuid uuid() {
    return uuid;
  }

  /** Whether NFS export is on. */
  public boolean nfsExport() {
    return nfsExport;
  }

  /** Whether the mount is {@code volatile} (no fsync of the upper layer; never with no upper). */
  public boolean volatileMode() {
    return volatileMode;
  }

  /** Whether overlay xattrs are {@code user.overlay.*} instead of {@code trusted.overlay.*}. */
  public boolean userXattr() {
    return userXattr;
  }

  /** Whether permission checks use the merged inode's mode only ({@code default_permissions}). */
  public boolean defaultPermissions() {
    return defaultPermissions;
  }

  /** The whiteout form written to the upper layer (overlay4j extension {@code whiteout=}). */
  public WhiteoutFormat whiteoutFormat() {
    return whiteoutFormat;
  }

  /** Entries in the lookup cache; 0 disables it (overlay4j extension {@code lookup_cache=}). */
  public int lookupCacheSize() {
    return lookupCacheSize;
  }

  /**
   * What was accepted but ignored or changed, in words: options that mean nothing without an
   * upper layer, options turned off by a conflicting one, a dangling {@code \}, and (after
   * {@link #validate()}) layouts the kernel allows but that are risky. Empty when there is
   * nothing to say; not part of {@link #equals}.
   */
  public List<String> warnings() {
    return warnings;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof OverlayConfig)) {
      return false;
    }
    OverlayConfig c = (OverlayConfig) o;
    return readOnly == c.readOnly
        && metacopy == c.metacopy
        && index == c.index
        && nfsExport == c.nfsExport
        && volatileMode == c.volatileMode
        && userXattr == c.userXattr
        && defaultPermissions == c.defaultPermissions
        && lookupCacheSize == c.lookupCacheSize
        && lowerDirs.equals(c.lowerDirs)
        && dataDirs.equals(c.dataDirs)
        && Objects.equals(upperDir, c.upperDir)
        && Objects.equals(workDir, c.workDir)
        && redirectDir == c.redirectDir
        && xino == c.xino
        && uuid == c.uuid
        && whiteoutFormat == c.whiteoutFormat;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        lowerDirs,
        dataDirs,
        upperDir,
        workDir,
        readOnly,
        redirectDir,
        metacopy,
        xino,
        index,
        uuid,
        nfsExport,
        volatileMode,
        userXattr,
        defaultPermissions,
        whiteoutFormat,
        lookupCacheSize);
  }

  /** {@code OverlayConfig[<option string>]}. */
  @Override
  public String toString() {
    return "OverlayConfig[" + toOptionString() + "]";
  }

  /** The effective values, computed by {@link Builder#build()}. */
  private static final class Resolved {
    List<Path> lowerDirs;
    List<Path> dataDirs;
    Path upperDir;
    Path workDir;
    boolean readOnly;
    RedirectDir redirectDir;
    boolean metacopy;
    Xino xino;
    boolean index;
    Uuid uuid;
    boolean nfsExport;
    boolean volatileMode;
    boolean userXattr;
    boolean defaultPermissions;
    WhiteoutFormat whiteoutFormat;
    int lookupCacheSize;
  }

  /**
   * Collects options; {@link #build()} checks them and applies the kernel's implications. An
   * option left unset has its default, and counts as "not given" for the kernel's conflict rules
   * (e.g. {@code metacopy(true)} alone implies {@code redirect_dir=on}, but {@code
   * metacopy(true).redirectDir(OFF)} is a conflict). Paths are made absolute as they are added.
   */
  public static final class Builder {
    private final List<Path> lowerDirs = new ArrayList<>();
    private final List<Path> dataDirs = new ArrayList<>();
    private Path upperDir;
    private Path workDir;
    private Boolean readOnly;
    private RedirectDir redirectDir;
    private Boolean metacopy;
    private Xino xino;
    private Boolean index;
    private Uuid uuid;
    private Boolean nfsExport;
    private boolean volatileMode;
    private boolean userXattr;
    private boolean defaultPermissions;
    private WhiteoutFormat whiteoutFormat;
    private Integer lookupCacheSize;
    /** Warnings from parsing; not copied by toBuilder(). */
    private final List<String> parseWarnings = new ArrayList<>();

    private Builder() {}

    Builder copy() {
      Builder b = new Builder();
      b.lowerDirs.addAll(lowerDirs);
      b.dataDirs.addAll(dataDirs);
      b.upperDir = upperDir;
      b.workDir = workDir;
      b.readOnly = readOnly;
      b.redirectDir = redirectDir;
      b.metacopy = metacopy;
      b.xino = xino;
      b.index = index;
      b.uuid = uuid;
      b.nfsExport = nfsExport;
      b.volatileMode = volatileMode;
      b.userXattr = userXattr;
      b.defaultPermissions = defaultPermissions;
      b.whiteoutFormat = whiteoutFormat;
      b.lookupCacheSize = lookupCacheSize;
      return b;
    }

    /** Replaces the regular lower layers (topmost first). */
    public Builder lowerDirs(List<Path> dirs) {
      List<Path> abs = absolute(dirs, "lowerDirs");
      lowerDirs.clear();
      lowerDirs.addAll(abs);
      return this;
    }

    /** Replaces the regular lower layers (topmost first). */
    public Builder lowerDirs(Path... dirs) {
      return lowerDirs(Arrays.asList(dirs));
    }

    /** Adds a regular lower layer below the ones already added. */
    public Builder addLowerDir(Path dir) {
      lowerDirs.add(absolute(dir, "lower dir"));
      return this;
    }

    /** Replaces the data-only layers. */
    public Builder dataDirs(List<Path> dirs) {
      List<Path> abs = absolute(dirs, "dataDirs");
      dataDirs.clear();
      dataDirs.addAll(abs);
      return this;
    }

    /** Replaces the data-only layers. */
    public Builder dataDirs(Path... dirs) {
      return dataDirs(Arrays.asList(dirs));
    }

    /** Adds a data-only layer below the ones already added. */
    public Builder addDataDir(Path dir) {
      dataDirs.add(absolute(dir, "data dir"));
      return this;
    }

    /** Sets the upper layer, or removes it ({@code null}) for a read-only overlay. */
    public Builder upperDir(Path dir) {
      upperDir = dir == null ? null : dir.toAbsolutePath();
      return this;
    }

    /** Sets the work directory, or removes it ({@code null}). */
    public Builder workDir(Path dir) {
      workDir = dir == null ? null : dir.toAbsolutePath();
      return this;
    }

    /** Mounts read-only ({@code ro}) even with an upper layer; {@code false} is {@code rw}. */
    public Builder readOnly(boolean readOnly) {
      this.readOnly = readOnly;
      return this;
    }

    /** Sets {@code redirect_dir}; {@code null} returns to the default ("not given"). */
    public Builder redirectDir(RedirectDir mode) {
      redirectDir = mode;
      return this;
    }

    /** Sets {@code metacopy=on|off}. */
    public Builder metacopy(boolean on) {
      metacopy = on;
      return this;
    }

    /** Sets {@code xino}; {@code null} returns to the default. */
    public Builder xino(Xino mode) {
      xino = mode;
      return this;
    }

    /** Sets {@code index=on|off}. */
    public Builder index(boolean on) {
      index = on;
      return this;
    }

    /** Sets {@code uuid}; {@code null} returns to the default. */
    public Builder uuid(Uuid mode) {
      uuid = mode;
      return this;
    }

    /** Sets {@code nfs_export=on|off}. */
    public Builder nfsExport(boolean on) {
      nfsExport = on;
      return this;
    }

    /** Sets the {@code volatile} flag. */
    public Builder volatileMode(boolean on) {
      volatileMode = on;
      return this;
    }

    /** Sets the {@code userxattr} flag. */
    public Builder userXattr(boolean on) {
      userXattr = on;
      return this;
    }

    /** Sets the {@code default_permissions} flag. */
    public Builder defaultPermissions(boolean on) {
      defaultPermissions = on;
      return this;
    }

    /** Sets the whiteout form to write; {@code null} returns to the default ({@code kernel}). */
    public Builder whiteoutFormat(WhiteoutFormat format) {
      whiteoutFormat = format;
      return this;
    }

    /** Sets the lookup cache size in entries; 0 disables the cache. */
    public Builder lookupCacheSize(int entries) {
      lookupCacheSize = entries;
      return this;
    }

    List<Path> declaredLowerDirs() {
      return Collections.unmodifiableList(lowerDirs);
    }

    List<Path> declaredDataDirs() {
      return Collections.unmodifiableList(dataDirs);
    }

    void warn(String warning) {
      parseWarnings.add(warning);
    }

    /**
     * Checks the options and applies the kernel's implications.
     *
     * @throws OverlayConfigException naming the option and the problem
     */
    public OverlayConfig build() {
      List<String> warnings = new ArrayList<>(parseWarnings);
      checkLayers();
      Resolved r = resolve(warnings);
      return new OverlayConfig(r, copy(), warnings);
    }

    /** Layer structure: super.c ovl_fill_super / ovl_get_lowerstack, checked without I/O. */
    private void checkLayers() {
      int total = lowerDirs.size() + dataDirs.size();
      if (total == 0) {
        throw new OverlayConfigException(
            "lowerdir", "missing lowerdir: an overlay needs at least one lower layer (lowerdir=DIR)");
      }
      if (lowerDirs.isEmpty()) {
        throw new OverlayConfigException(
            "datadir+",
            "only data-only layers given ("
                + dataDirs.get(0)
                + (dataDirs.size() > 1 ? ", ..." : "")
                + "); at least one regular lower layer is required (lowerdir= or lowerdir+="
                + " before the data-only layers)");
      }
      if (total > MAX_LAYERS) {
        throw new OverlayConfigException(
            "lowerdir", "too many lower layers (" + total + "); the limit is " + MAX_LAYERS);
      }
      if (upperDir == null && total < 2) {
        throw new OverlayConfigException(
            "lowerdir",
            "lowerdir "
                + lowerDirs.get(0)
                + ": a read-only overlay (no upperdir) needs at least 2 lower layers; add another"
                + " lower layer, or upperdir= and workdir= to make it writable");
      }
      if (upperDir != null && workDir == null) {
        throw new OverlayConfigException(
            "workdir",
            "missing workdir: upperdir "
                + upperDir
                + " needs workdir=, an empty directory on the same filesystem as upperdir and"
                + " not inside it");
      }
      if (lookupCacheSize != null && lookupCacheSize < 0) {
        throw new OverlayConfigException(
            "lookup_cache",
            "lookup_cache: " + lookupCacheSize + " is negative; give a size in entries, or 0 to disable the cache");
      }
      checkDistinct();
    }

    /**
     * The same directory twice is refused by the kernel ("conflicting lowerdir path", ELOOP;
     * "workdir and upperdir must be separate subtrees"). Here only identical spellings are
     * caught; {@link OverlayConfig#validate()} compares the directories themselves.
     */
    private void checkDistinct() {
      if (upperDir != null && same(upperDir, workDir)) {
        throw new OverlayConfigException(
            "workdir",
            "workdir " + workDir + " is the same directory as upperdir " + upperDir
                + "; workdir must be a separate directory on the same filesystem");
      }
      Map<Path, String> seen = new LinkedHashMap<>();
      if (upperDir != null) {
        seen.put(key(upperDir), "the upperdir");
        seen.put(key(workDir), "the workdir");
      }
      for (Path p : lowerDirs) {
        checkLayerOnce(seen, p, "lowerdir");
      }
      for (Path p : dataDirs) {
        checkLayerOnce(seen, p, "data-only layer");
      }
    }

    private static void checkLayerOnce(Map<Path, String> seen, Path p, String role) {
      String earlier = seen.putIfAbsent(key(p), role);
      if (earlier == null) {
        return;
      }
      String what =
          earlier.startsWith("the ")
              ? "is also " + earlier
              : earlier.equals(role) ? "is given twice" : "is also a " + earlier;
      throw new OverlayConfigException(
          role.equals("lowerdir") ? "lowerdir" : "datadir+",
          role + " " + p + " " + what + "; each layer must be a different directory",
          Errno.ELOOP);
    }

    private static boolean same(Path a, Path b) {
      return key(a).equals(key(b));
    }

    /** Lexical identity: "." segments never change what a path names; ".." may (symlinks). */
    private static Path key(Path p) {
      for (Path name : p) {
        if (name.toString().equals("..")) {
          return p;
        }
      }
      return p.normalize();
    }

    /** fs/overlayfs/params.c ovl_fs_params_verify(), for this machine's module defaults. */
    private Resolved resolve(List<String> warnings) {
      Resolved r = new Resolved();
      boolean hasUpper = upperDir != null;
      RedirectDir redirect = redirectDir != null ? redirectDir : DEFAULT_REDIRECT_DIR;
      boolean setRedirect = redirectDir != null;
      boolean mc = metacopy != null ? metacopy : DEFAULT_METACOPY;
      boolean setMetacopy = metacopy != null;
      boolean idx = index != null ? index : DEFAULT_INDEX;
      boolean setIndex = index != null;
      boolean nfs = nfsExport != null ? nfsExport : DEFAULT_NFS_EXPORT;
      boolean setNfs = nfsExport != null;
      Uuid uu = uuid != null ? uuid : DEFAULT_UUID;
      boolean vol = volatileMode;
      Path work = workDir;

      // Workdir/index are useless in a non-upper mount.
      if (!hasUpper) {
        if (work != null) {
          warnings.add(
              "workdir " + work + " is ignored: a read-only overlay (no upperdir) does not use one");
          work = null;
        }
        if (idx && setIndex) {
          warnings.add("index=on is ignored: a read-only overlay (no upperdir) has no index");
          setIndex = false;
        }
        idx = false;
        if (vol) {
          warnings.add("volatile is ignored: a read-only overlay (no upperdir) writes nothing");
          vol = false;
        }
        if (uu == Uuid.ON) {
          warnings.add("uuid=on needs an upperdir; using uuid=null");
          uu = Uuid.NULL;
        }
      }

      // The mode the kernel works with: "off" is stored as "follow" (redirect_always_follow=Y),
      // and without an upper layer "follow" is treated as "on" (nothing is ever created there).
      RedirectDir mode = redirect == RedirectDir.OFF ? RedirectDir.FOLLOW : redirect;
      if (!hasUpper && mode == RedirectDir.FOLLOW) {
        mode = RedirectDir.ON;
      }

      // metacopy -> redirect_dir dependency.
      if (mc && mode != RedirectDir.ON) {
        if (setMetacopy && setRedirect) {
          throw conflict(
              "metacopy=on,redirect_dir=" + redirect.optionValue(),
              "metacopy=on needs redirect_dir=on; leave redirect_dir= out to have it implied");
        }
        if (setRedirect) {
          // Reachable only when metacopy is on by default.
          warnings.add(
              "metacopy is turned off by redirect_dir=" + redirect.optionValue()
                  + " (metacopy needs redirect_dir=on)");
          mc = false;
        } else {
          redirect = RedirectDir.ON;
          mode = RedirectDir.ON;
        }
      }

      // nfs_export -> index dependency.
      if (nfs && !idx) {
        if (!hasUpper && mode != RedirectDir.NOFOLLOW) {
          warnings.add(
              "nfs_export=on is ignored: without an upperdir it needs redirect_dir=nofollow;"
                  + " using nfs_export=off");
          nfs = false;
        } else if (setNfs && setIndex) {
          throw conflict(
              "nfs_export=on,index=off", "NFS export needs the inodes index; drop index=off");
        } else if (setIndex) {
          warnings.add("nfs_export is turned off by index=off (NFS export needs the index)");
          nfs = false;
        } else {
          idx = true;
        }
      }

      // nfs_export -> !metacopy dependency.
      if (nfs && mc) {
        if (setNfs && setMetacopy) {
          throw conflict(
              "nfs_export=on,metacopy=on",
              "NFS export does not work with metadata-only copy-up; choose one");
        }
        if (setMetacopy) {
          warnings.add("nfs_export is turned off by metacopy=on");
          nfs = false;
        } else {
          warnings.add("metacopy is turned off by nfs_export=on");
          mc = false;
        }
      }

      // userxattr -> !redirect && !metacopy dependency.
      if (userXattr) {
        if (setRedirect && mode != RedirectDir.NOFOLLOW) {
          throw conflict(
              "userxattr,redirect_dir=" + redirect.optionValue(),
              "with userxattr redirects are neither created nor followed; use"
                  + " redirect_dir=nofollow or leave it out");
        }
        if (mc && setMetacopy) {
          throw conflict(
              "userxattr,metacopy=on",
              "metadata-only copy-up is not available with userxattr; drop metacopy=on");
        }
        redirect = RedirectDir.NOFOLLOW;
        mc = false;
      }

      // super.c: a mount without upper (or index dir) shows index=off.
      if (!hasUpper) {
        idx = false;
      }

      r.lowerDirs = lowerDirs;
      r.dataDirs = dataDirs;
      r.upperDir = upperDir;
      r.workDir = work;
      r.readOnly = !hasUpper || Boolean.TRUE.equals(readOnly);
      r.redirectDir = redirect;
      r.metacopy = mc;
      r.xino = xino != null ? xino : DEFAULT_XINO;
      r.index = idx;
      r.uuid = uu;
      r.nfsExport = nfs;
      r.volatileMode = vol;
      r.userXattr = userXattr;
      r.defaultPermissions = defaultPermissions;
      r.whiteoutFormat = whiteoutFormat != null ? whiteoutFormat : DEFAULT_WHITEOUT_FORMAT;
      r.lookupCacheSize = lookupCacheSize != null ? lookupCacheSize : DEFAULT_LOOKUP_CACHE_SIZE;
      return r;
    }

    private static OverlayConfigException conflict(String options, String why) {
      return new OverlayConfigException("conflicting options: " + options + " (" + why + ")");
    }

    private static List<Path> absolute(List<Path> dirs, String what) {
      Objects.requireNonNull(dirs, what);
      List<Path> out = new ArrayList<>(dirs.size());
      for (Path p : dirs) {
        out.add(absolute(p, what));
      }
      return out;
    }

    private static Path absolute(Path p, String what) {
      return Objects.requireNonNull(p, what).toAbsolutePath();
    }
  }
}
