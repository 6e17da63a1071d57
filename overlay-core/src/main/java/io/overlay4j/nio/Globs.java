package io.overlay4j.nio;

import java.util.regex.PatternSyntaxException;

/**
 * Glob patterns as {@link java.nio.file.FileSystem#getPathMatcher} documents them, translated to
 * a regular expression the way the JDK's Unix provider does: {@code *} matches within a name,
 * {@code **} across names, {@code ?} one character but {@code /}, {@code [...]} a class ({@code
 * !} negates), {@code {a,b}} alternatives (not nested), {@code \} escapes.
 */
final class Globs {
  private Globs() {}

  private static final String REGEX_META = ".^$+{[]|()";
  private static final String GLOB_META = "\\*?[{";

  static String toRegex(String glob) {
    boolean inGroup = false;
    StringBuilder regex = new StringBuilder("^");
    int i = 0;
    while (i < glob.length()) {
      char c = glob.charAt(i++);
      switch (c) {
        case '\\' -> {
          if (i == glob.length()) {
            throw new PatternSyntaxException("No character to escape", glob, i - 1);
          }
          char next = glob.charAt(i++);
          if (GLOB_META.indexOf(next) >= 0 || REGEX_META.indexOf(next) >= 0) {
            regex.append('\\');
          }
          regex.append(next);
        }
        case '/' -> regex.append(c);
        case '[' -> {
          regex.append("[[^/]&&[");
          if (i < glob.length() && glob.charAt(i) == '^') {
            regex.append("\\^");
            i++;
          } else {
            if (i < glob.length() && glob.charAt(i) == '!') {
              regex.append('^');
              i++;
            }
            if (i < glob.length() && glob.charAt(i) == '-') {
              regex.append('-');
              i++;
            }
          }
          boolean hasRangeStart = false;
          char last = 0;
          while (i < glob.length()) {
            c = glob.charAt(i++);
            if (c == ']') {
              break;
            }
            if (c == '/') {
              throw new PatternSyntaxException("Explicit 'name separator' in class", glob, i - 1);
            }
            if (c == '\\' || c == '[' || c == '&' && i < glob.length() && glob.charAt(i) == '&') {
              regex.append('\\');
            }
            regex.append(c);
            if (c == '-') {
              if (!hasRangeStart) {
                throw new PatternSyntaxException("Invalid range", glob, i - 1);
              }
              if (i == glob.length()) {
                break;
              }
              c = glob.charAt(i++);
              if (c < last) {
                throw new PatternSyntaxException("Invalid range", glob, i - 3);
              }
              regex.append(c);
              hasRangeStart = false;
            } else {
              hasRangeStart = true;
              last = c;
            }
          }
          if (c != ']') {
            throw new PatternSyntaxException("Missing ']", glob, i - 1);
          }
          regex.append("]]");
        }
        case '{' -> {
          if (inGroup) {
            throw new PatternSyntaxException("Cannot nest groups", glob, i - 1);
          }
          regex.append("(?:(?:");
          inGroup = true;
        }
        case '}' -> {
          if (inGroup) {
            regex.append("))");
            inGroup = false;
          } else {
            regex.append('}');
          }
        }
        case ',' -> regex.append(inGroup ? ")|(?:" : ",");
        case '*' -> {
          if (i < glob.length() && glob.charAt(i) == '*') {
            regex.append(".*");
            i++;
          } else {
            regex.append("[^/]*");
          }
        }
        case '?' -> regex.append("[^/]");
        default -> {
          if (REGEX_META.indexOf(c) >= 0) {
            regex.append('\\');
          }
          regex.append(c);
        }
      }
    }
    if (inGroup) {
      throw new PatternSyntaxException("Missing '}", glob, i - 1);
    }
    return regex.append('$').toString();
  }
}
