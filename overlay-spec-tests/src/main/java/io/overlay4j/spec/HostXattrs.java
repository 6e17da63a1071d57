package io.overlay4j.spec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads the extended attributes of host files in every namespace (trusted.* included, as root)
 * with {@code getfattr} from the attr package, a few hundred files per run: the JDK reads only
 * the user namespace. Symlinks are not followed.
 */
final class HostXattrs {
  private static final int BATCH = 256;
  private static final String FILE_HEADER = "# file: ";

  private HostXattrs() {}

  /**
   * The attributes (name to hex value) of each file, by the caller's key; files without
   * attributes are absent from the result.
   */
  static <K> Map<K, SortedMap<String, String>> read(Map<K, Path> files) throws IOException {
    Map<K, SortedMap<String, String>> out = new HashMap<>();
    List<Map.Entry<K, Path>> all = new ArrayList<>(files.entrySet());
    for (int from = 0; from < all.size(); from += BATCH) {
      List<Map.Entry<K, Path>> batch = all.subList(from, Math.min(all.size(), from + BATCH));
      Map<String, K> byName = new HashMap<>();
      List<String> argv = new ArrayList<>(List.of("getfattr", "--no-dereference", "--dump",
          "--match=-", "--encoding=hex", "--absolute-names", "--"));
      for (Map.Entry<K, Path> e : batch) {
        String name = e.getValue().toAbsolutePath().toString();
        byName.put(name, e.getKey());
        argv.add(name);
      }
      Shell.Result r = Shell.run(argv).requireSuccess();
      parse(r.stdout(), byName, out);
    }
    return out;
  }

  private static <K> void parse(byte[] stdout, Map<String, K> byName,
      Map<K, SortedMap<String, String>> out) throws IOException {
    // getfattr escapes newlines, backslashes and other unprintable bytes in file names as \ooo,
    // so every record is whole lines. Values are 0x-prefixed hex with -e hex.
    String text = new String(stdout, StandardCharsets.ISO_8859_1);
    SortedMap<String, String> current = null;
    for (String line : text.split("\n", -1)) {
      if (line.startsWith(FILE_HEADER)) {
        String name = unescape(line.substring(FILE_HEADER.length()));
        K key = byName.get(name);
        if (key == null) {
          throw new IOException("getfattr reported a file it was not asked about: " + name);
        }
        current = new TreeMap<>();
        out.put(key, current);
      } else if (!line.isEmpty()) {
        if (current == null) {
          throw new IOException("unexpected getfattr output: " + line);
        }
        int eq = line.indexOf('=');
        String attr = eq < 0 ? line : line.substring(0, eq);
        String value = eq < 0 ? "" : line.substring(eq + 1);
        if (value.startsWith("0x")) {
          value = value.substring(2).toLowerCase(Locale.ROOT);
        } else if (value.startsWith("\"") || value.startsWith("0s")) {
          throw new IOException("getfattr did not hex-encode " + attr + ": " + value);
        }
        current.put(new String(unescapeBytes(attr), StandardCharsets.UTF_8), value);
      }
    }
  }

  /** Undoes getfattr's quoting ({@code \ooo} octal escapes) and decodes UTF-8. */
  static String unescape(String latin1) {
    return new String(unescapeBytes(latin1), StandardCharsets.UTF_8);
  }

  private static byte[] unescapeBytes(String latin1) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 0; i < latin1.length(); i++) {
      char c = latin1.charAt(i);
      if (c == '\\' && isOctal(latin1, i + 1)) {
        b.write(Integer.parseInt(latin1.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.write(c);
      }
    }
    return b.toByteArray();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }
}
