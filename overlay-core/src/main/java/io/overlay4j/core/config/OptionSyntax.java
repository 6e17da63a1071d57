package io.overlay4j.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The lexical rules of the overlay option string, as fs/overlayfs/params.c implements them:
 * {@code ovl_next_opt} (split at unescaped commas), {@code ovl_parse_param_split_lowerdirs}
 * ({@code :} and {@code ::} in lowerdir) and {@code ovl_unescape} ({@code \x} is {@code x}).
 */
final class OptionSyntax {
  private OptionSyntax() {}

  /** The characters {@link #escape} prefixes with a backslash. */
  static final String SPECIAL = "\\:,";

  /**
   * Splits an option string at commas that are not escaped. Escapes stay in the pieces (values
   * are unescaped per option later, as the kernel does); a backslash escapes a comma, so
   * {@code upperdir=/a\,b} is one option. Empty pieces are kept; callers skip them.
   */
  static List<String> splitOptions(String options) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < options.length(); i++) {
      char c = options.charAt(i);
      if (c == '\\') {
        cur.append(c);
        if (i + 1 < options.length()) {
          cur.append(options.charAt(++i));
        }
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  /**
   * Removes escapes: {@code \x} becomes {@code x} for any character x. A lone backslash at the
   * very end escapes nothing; the kernel drops it, and so does this (reporting it to
   * {@code danglingBackslash} so the caller can warn).
   */
  static String unescape(String s, Runnable danglingBackslash) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        if (i + 1 < s.length()) {
          out.append(s.charAt(++i));
        } else {
          danglingBackslash.run();
        }
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Escapes {@code \}, {@code :} and {@code ,} so that {@link #unescape} gives {@code s} back. */
  static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (SPECIAL.indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }

  /** The layers of one {@code lowerdir=} value, still escaped. */
  static final class LowerSpec {
    final List<String> regular = new ArrayList<>();
    final List<String> data = new ArrayList<>();
  }

  /**
   * Splits a non-empty {@code lowerdir=} value into regular and data-only layers. {@code :}
   * separates layers and {@code ::} starts (and separates) data-only layers; once a {@code ::}
   * was seen, only {@code ::} may follow. Refuses what the kernel refuses: a leading {@code :},
   * three or more colons in a row, trailing colons and a regular layer after data-only layers.
   */
  static LowerSpec splitLowerdir(String value) {
    if (value.charAt(0) == ':') {
      throw new OverlayConfigException(
          "lowerdir",
          "lowerdir: must not start with ':' in "
              + quote(value)
              + " (lowerdir= replaces all lower layers; use lowerdir+= or datadir+= to add one)");
    }
    LowerSpec spec = new LowerSpec();
    StringBuilder cur = new StringBuilder();
    boolean inData = false;
    int i = 0;
    int n = value.length();
    while (i < n) {
      char c = value.charAt(i);
      if (c == '\\') {
        cur.append(c);
        if (i + 1 < n) {
          cur.append(value.charAt(i + 1));
        }
        i += 2;
        continue;
      }
      if (c != ':') {
        cur.append(c);
        i++;
        continue;
      }
      int run = 0;
      while (i < n && value.charAt(i) == ':') {
        run++;
        i++;
      }
      if (run > 2) {
        throw new OverlayConfigException(
            "lowerdir",
            "lowerdir: "
                + quote(":".repeat(run))
                + " in "
                + quote(value)
                + "; layers are separated by ':' and data-only layers by '::' (escape a ':' that"
                + " is part of a path as '\\:')");
      }
      if (i == n) {
        throw new OverlayConfigException(
            "lowerdir",
            "lowerdir: trailing ':' in " + quote(value) + " (escape a ':' that ends a path as '\\:')");
      }
      (inData ? spec.data : spec.regular).add(cur.toString());
      cur.setLength(0);
      if (run == 2) {
        inData = true;
      } else if (inData) {
        throw new OverlayConfigException(
            "lowerdir",
            "lowerdir: regular lower layers cannot follow data-only layers: single ':' after '::'"
                + " in "
                + quote(value)
                + " (put regular layers before the first '::' and separate data-only layers with"
                + " '::')");
      }
    }
    (inData ? spec.data : spec.regular).add(cur.toString());
    return spec;
  }

  /** {@code s} in double quotes, for messages. */
  static String quote(String s) {
    return '"' + s + '"';
  }
}
