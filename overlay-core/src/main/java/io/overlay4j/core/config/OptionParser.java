package io.overlay4j.core.config;

import static io.overlay4j.core.config.OptionSyntax.quote;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Applies mount options, one at a time and in order, to an {@link OverlayConfig.Builder}, the way
 * fs/overlayfs/params.c ({@code ovl_parse_param}) does: repeated options replace earlier ones,
 * {@code lowerdir=} replaces all lower layers, {@code lowerdir+=}/{@code datadir+=} append one
 * and may not follow {@code lowerdir=}. Only syntax is checked here; {@link
 * OverlayConfig.Builder#build()} checks how the options fit together.
 */
final class OptionParser {
  /** Option names overlay4j understands, for "did you mean" hints. */
  static final List<String> KNOWN =
      List.of(
          "lowerdir",
          "lowerdir+",
          "datadir+",
          "upperdir",
          "workdir",
          "redirect_dir",
          "metacopy",
          "xino",
          "index",
          "uuid",
          "nfs_export",
          "volatile",
          "userxattr",
          "default_permissions",
          "ro",
          "rw",
          "whiteout",
          "lookup_cache");

  private final OverlayConfig.Builder builder = OverlayConfig.builder();

  /** Whether the lower layers came from {@code lowerdir=} (then lowerdir+= and datadir+= fail). */
  private boolean lowerdirAll;

  static OverlayConfig parse(String options) {
    if (options == null) {
      throw new OverlayConfigException("no mount options given (null)");
    }
    OptionParser p = new OptionParser();
    p.applyString(options);
    return p.builder.build();
  }

  static OverlayConfig parse(Map<String, String> options) {
    if (options == null) {
      throw new OverlayConfigException("no mount options given (null)");
    }
    OptionParser p = new OptionParser();
    if (options.containsKey("options")) {
      String all = options.get("options");
      p.applyString(all == null ? "" : all);
    }
    for (Map.Entry<String, String> e : options.entrySet()) {
      String key = e.getKey();
      if (key == null) {
        throw new OverlayConfigException("option with a null name");
      }
      if (key.equals("options")) {
        continue;
      }
      if (key.isEmpty()) {
        throw new OverlayConfigException("option with an empty name (value " + quote(String.valueOf(e.getValue())) + ")");
      }
      p.apply(key, e.getValue(), true);
    }
    return p.builder.build();
  }

  private void applyString(String options) {
    for (String opt : OptionSyntax.splitOptions(options)) {
      if (opt.isEmpty()) {
        continue; // ",," and a trailing ',' are ignored, as by the kernel
      }
      int eq = opt.indexOf('=');
      if (eq == 0) {
        // vfs_parse_monolithic_sep() skips "=value" silently; say so.
        builder.warn("ignoring option " + quote(opt) + ": it has no name before '='");
        continue;
      }
      if (eq < 0) {
        apply(opt, null, false);
      } else {
        apply(opt.substring(0, eq), opt.substring(eq + 1), false);
      }
    }
  }

  /**
   * Applies one option. {@code value} is {@code null} when no {@code =} was given. In the map
   * form ({@code fromMap}) a flag may also carry an empty value.
   */
  void apply(String key, String value, boolean fromMap) {
    switch (key) {
      case "lowerdir":
        lowerdir(requireValue(key, value));
        break;
      case "lowerdir+":
      case "datadir+":
        addLayer(key, requireNonEmpty(key, value));
        break;
      case "upperdir":
        builder.upperDir(dirPath(key, requireNonEmpty(key, value)));
        break;
      case "workdir":
        builder.workDir(dirPath(key, requireNonEmpty(key, value)));
        break;
      case "redirect_dir":
        builder.redirectDir(choose(key, value, RedirectDir.values(), RedirectDir::optionValue));
        break;
      case "metacopy":
        builder.metacopy(onOff(key, value));
        break;
      case "index":
        builder.index(onOff(key, value));
        break;
      case "nfs_export":
        builder.nfsExport(onOff(key, value));
        break;
      case "xino":
        builder.xino(choose(key, value, Xino.values(), Xino::optionValue));
        break;
      case "uuid":
        builder.uuid(choose(key, value, Uuid.values(), Uuid::optionValue));
        break;
      case "volatile":
        flag(key, value, fromMap);
        builder.volatileMode(true);
        break;
      case "userxattr":
        flag(key, value, fromMap);
        builder.userXattr(true);
        break;
      case "default_permissions":
        flag(key, value, fromMap);
        builder.defaultPermissions(true);
        break;
      case "ro":
        flag(key, value, fromMap);
        builder.readOnly(true);
        break;
      case "rw":
        flag(key, value, fromMap);
        builder.readOnly(false);
        break;
      case "whiteout":
        builder.whiteoutFormat(choose(key, value, WhiteoutFormat.values(), WhiteoutFormat::optionValue));
        break;
      case "lookup_cache":
        builder.lookupCacheSize(nonNegativeInt(key, value));
        break;
      case "verity":
        throw new OverlayConfigException(
            key,
            "verity: not supported by overlay4j (it does not check fs-verity digests of"
                + " metacopy files); remove the option");
      default:
        throw new OverlayConfigException(key, "unknown option " + quote(key) + hint(key));
    }
  }

  private void lowerdir(String value) {
    if (value.isEmpty()) {
      // "lowerdir=" drops all lower layers (ovl_reset_lowerdirs); usually an error later.
      builder.lowerDirs(List.of()).dataDirs(List.of());
      lowerdirAll = false;
      return;
    }
    OptionSyntax.LowerSpec spec = OptionSyntax.splitLowerdir(value);
    int total = spec.regular.size() + spec.data.size();
    if (total > OverlayConfig.MAX_LAYERS) {
      throw new OverlayConfigException(
          "lowerdir",
          "lowerdir: too many lower layers (" + total + "); the limit is " + OverlayConfig.MAX_LAYERS);
    }
    builder.lowerDirs(List.of()).dataDirs(List.of());
    for (String raw : spec.regular) {
      builder.addLowerDir(lowerPath(value, raw));
    }
    for (String raw : spec.data) {
      builder.addDataDir(lowerPath(value, raw));
    }
    lowerdirAll = true;
  }

  /** upperdir= and workdir= values are unescaped like lowerdir entries (ovl_mount_dir). */
  private Path dirPath(String key, String raw) {
    String text = unescape(key, raw);
    if (text.isEmpty()) {
      throw new OverlayConfigException(key, key + ": empty path " + quote(raw));
    }
    return path(key, text);
  }

  private Path lowerPath(String whole, String raw) {
    String text = unescape("lowerdir", raw);
    if (text.isEmpty()) {
      throw new OverlayConfigException(
          "lowerdir", "lowerdir: empty layer path " + quote(raw) + " in " + quote(whole));
    }
    return path("lowerdir", text);
  }

  /**
   * lowerdir+= and datadir+= take one path, verbatim: like the kernel (which resolves them with
   * ovl_mount_dir_noesc) they are not unescaped, and ':' is an ordinary character in them.
   */
  private void addLayer(String key, String value) {
    boolean data = key.equals("datadir+");
    if (lowerdirAll) {
      throw new OverlayConfigException(
          key,
          key
              + "="
              + value
              + ": lowerdir+ and datadir+ cannot follow lowerdir=; give all lower layers either as"
              + " one lowerdir=A:B::D or as lowerdir+=/datadir+= options");
    }
    if (!data && !builder.declaredDataDirs().isEmpty()) {
      throw new OverlayConfigException(
          key,
          key
              + "="
              + value
              + ": regular lower layers cannot follow data-only layers (datadir+="
              + builder.declaredDataDirs().get(0)
              + " came first); give all lowerdir+= before the first datadir+=");
    }
    int total = builder.declaredLowerDirs().size() + builder.declaredDataDirs().size();
    if (total >= OverlayConfig.MAX_LAYERS) {
      throw new OverlayConfigException(
          key, key + ": too many lower layers; the limit is " + OverlayConfig.MAX_LAYERS);
    }
    if (value.indexOf('\\') >= 0) {
      builder.warn(
          key
              + "="
              + value
              + ": the path is taken verbatim, backslashes included (like the kernel, lowerdir+"
              + " and datadir+ do not unescape); use lowerdir= for paths with ',' or ':'");
    }
    Path p = path(key, value);
    if (data) {
      builder.addDataDir(p);
    } else {
      builder.addLowerDir(p);
    }
  }

  private String unescape(String key, String raw) {
    return OptionSyntax.unescape(
        raw,
        () ->
            builder.warn(
                key + ": ignoring the '\\' at the end of " + quote(raw) + " (it escapes nothing)"));
  }

  private static String requireValue(String key, String value) {
    if (value == null) {
      throw new OverlayConfigException(key, key + ": missing value; write " + key + "=<dir>");
    }
    return value;
  }

  private static String requireNonEmpty(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new OverlayConfigException(key, key + ": missing value; write " + key + "=<dir>");
    }
    return value;
  }

  private static void flag(String key, String value, boolean fromMap) {
    if (value != null && !(fromMap && value.isEmpty())) {
      throw new OverlayConfigException(
          key, key + ": takes no value (got " + key + "=" + value + "); write just " + key);
    }
  }

  private static boolean onOff(String key, String value) {
    if ("on".equals(value)) {
      return true;
    }
    if ("off".equals(value)) {
      return false;
    }
    throw badValue(key, value, "on or off");
  }

  private static <E> E choose(
      String key, String value, E[] values, java.util.function.Function<E, String> name) {
    StringBuilder expected = new StringBuilder();
    for (E e : values) {
      if (name.apply(e).equals(value)) {
        return e;
      }
      if (expected.length() > 0) {
        expected.append(", ");
      }
      expected.append(name.apply(e));
    }
    throw badValue(key, value, "one of " + expected);
  }

  private static OverlayConfigException badValue(String key, String value, String expected) {
    if (value == null) {
      return new OverlayConfigException(
          key, key + ": missing value; expected " + key + "=" + expected.replace("one of ", ""));
    }
    String caseHint =
        !value.equals(value.toLowerCase(Locale.ROOT)) ? " (values are lower case)" : "";
    return new OverlayConfigException(
        key, key + ": bad value " + quote(value) + "; expected " + expected + caseHint);
  }

  private static int nonNegativeInt(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new OverlayConfigException(
          key, key + ": missing value; write " + key + "=<number of entries, 0 to disable>");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        throw new OverlayConfigException(
            key,
            key + ": bad value " + quote(value) + "; expected a number of entries (0 disables the cache)");
      }
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new OverlayConfigException(
          key, key + ": " + value + " is too large; the maximum is " + Integer.MAX_VALUE);
    }
  }

  /**
   * A path from an option value. Relative paths are resolved against the current directory now,
   * as the kernel resolves them against the mounter's working directory.
   */
  static Path path(String key, String text) {
    try {
      return Path.of(text).toAbsolutePath();
    } catch (InvalidPathException e) {
      throw new OverlayConfigException(
          key, key + ": invalid path " + quote(text) + " (" + e.getReason() + ")");
    }
  }

  private static String hint(String key) {
    String lower = key.toLowerCase(Locale.ROOT).trim();
    for (String k : KNOWN) {
      if (k.equals(lower)) {
        return "; did you mean " + quote(k) + "? option names are lower case";
      }
    }
    String best = null;
    int bestDistance = 3;
    for (String k : KNOWN) {
      int d = distance(lower, k);
      // Only suggest a name the typo is clearly closer to than to nothing ("foo" is not "ro").
      if (d < bestDistance && d * 2 < k.length()) {
        bestDistance = d;
        best = k;
      }
    }
    return best == null ? "" : "; did you mean " + quote(best) + "?";
  }

  /** Levenshtein distance, for short option names only. */
  private static int distance(String a, String b) {
    if (Math.abs(a.length() - b.length()) > 2 || a.length() > 40) {
      return Integer.MAX_VALUE;
    }
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
