package io.overlay4j.nio;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A path of an overlay file system, with the JDK's {@code UnixPath} behaviour: {@code /} is the
 * separator and the overlay's root, redundant and trailing slashes are dropped when the path is
 * made, the empty path is a relative path of one empty name, {@code .} and {@code ..} stay
 * until {@link #normalize()} (the overlay resolves them as the kernel does, through symlinks),
 * and relative paths are resolved against the root, the overlay's only working directory.
 * Immutable.
 */
public final class OverlayPath implements Path {
  private final OverlayFileSystem fs;
  /** Without redundant or trailing slashes; "" for the empty path. */
  private final String path;
  private volatile int[] offsets;

  OverlayPath(OverlayFileSystem fs, String input) {
    this.fs = fs;
    this.path = normalizeAndCheck(input);
  }

  private static String normalizeAndCheck(String input) {
    int n = input.length();
    StringBuilder sb = null;
    char prev = 0;
    for (int i = 0; i < n; i++) {
      char c = input.charAt(i);
      if (c == '\0') {
        throw new InvalidPathException(input, "Nul character not allowed");
      }
      if (c == '/' && prev == '/') {
        if (sb == null) {
          sb = new StringBuilder(input.substring(0, i));
        }
      } else if (sb != null) {
        sb.append(c);
      }
      prev = c;
    }
    String s = sb == null ? input : sb.toString();
    if (s.length() > 1 && s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  /** The absolute path the core resolves ({@code /} is the overlay root). */
  String corePath() {
    return isAbsolute() ? path : path.isEmpty() ? "/" : "/" + path;
  }

  @Override
  public OverlayFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return path.startsWith("/");
  }

  @Override
  public OverlayPath getRoot() {
    return isAbsolute() ? fs.root() : null;
  }

  private int[] offsets() {
    int[] o = offsets;
    if (o == null) {
      List<Integer> list = new ArrayList<>();
      if (path.isEmpty()) {
        list.add(0);
      } else {
        for (int i = 0; i < path.length(); i++) {
          if (path.charAt(i) != '/' && (i == 0 || path.charAt(i - 1) == '/')) {
            list.add(i);
          }
        }
      }
      o = list.stream().mapToInt(Integer::intValue).toArray();
      offsets = o;
    }
    return o;
  }

  @Override
  public OverlayPath getFileName() {
    int count = getNameCount();
    if (count == 0) {
      return null; // the root
    }
    if (count == 1 && !isAbsolute()) {
      return this;
    }
    return new OverlayPath(fs, path.substring(offsets()[count - 1]));
  }

  @Override
  public OverlayPath getParent() {
    int count = getNameCount();
    if (count == 0) {
      return null;
    }
    int len = offsets()[count - 1] - 1;
    if (len <= 0) {
      return getRoot(); // "/a" -> "/", "a" -> null
    }
    return new OverlayPath(fs, path.substring(0, len));
  }

  @Override
  public int getNameCount() {
    return path.equals("/") ? 0 : offsets().length;
  }

  private String name(int i) {
    int[] o = offsets();
    int end = i + 1 < o.length ? o[i + 1] - 1 : path.length();
    return path.substring(o[i], end);
  }

  @Override
  public OverlayPath getName(int index) {
    if (index < 0 || index >= getNameCount()) {
      throw new IllegalArgumentException("index " + index + " of " + getNameCount() + " names");
    }
    return new OverlayPath(fs, name(index));
  }

  @Override
  public OverlayPath subpath(int beginIndex, int endIndex) {
    int count = getNameCount();
    if (beginIndex < 0 || beginIndex >= count || endIndex > count || beginIndex >= endIndex) {
      throw new IllegalArgumentException("subpath(" + beginIndex + ", " + endIndex + ") of "
          + count + " names");
    }
    int[] o = offsets();
    int end = endIndex < count ? o[endIndex] - 1 : path.length();
    return new OverlayPath(fs, path.substring(o[beginIndex], end));
  }

  @Override
  public boolean startsWith(Path other) {
    if (!(Objects.requireNonNull(other) instanceof OverlayPath that) || that.fs != fs) {
      return false;
    }
    if (that.isAbsolute() != isAbsolute()) {
      return false;
    }
    if (that.path.isEmpty()) {
      return path.isEmpty();
    }
    int n = that.getNameCount();
    if (n > getNameCount()) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (!name(i).equals(that.name(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean endsWith(Path other) {
    if (!(Objects.requireNonNull(other) instanceof OverlayPath that) || that.fs != fs) {
      return false;
    }
    if (that.isAbsolute()) {
      return that.path.equals(path);
    }
    if (that.path.isEmpty()) {
      return path.isEmpty();
    }
    int n = that.getNameCount();
    int m = getNameCount();
    if (n > m) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (!name(m - n + i).equals(that.name(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public OverlayPath normalize() {
    int count = getNameCount();
    if (count == 0 || path.isEmpty()) {
      return this;
    }
    List<String> out = new ArrayList<>();
    boolean changed = false;
    for (int i = 0; i < count; i++) {
      String n = name(i);
      if (n.equals(".")) {
        changed = true;
      } else if (n.equals("..")) {
        if (!out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
          out.remove(out.size() - 1);
          changed = true;
        } else if (isAbsolute()) {
          changed = true; // "/.." is "/"
        } else {
          out.add(n);
        }
      } else {
        out.add(n);
      }
    }
    if (!changed) {
      return this;
    }
    String joined = String.join("/", out);
    return new OverlayPath(fs, isAbsolute() ? "/" + joined : joined);
  }

  @Override
  public OverlayPath resolve(Path other) {
    OverlayPath that = check(other);
    if (that.isAbsolute()) {
      return that;
    }
    if (that.path.isEmpty()) {
      return this;
    }
    if (path.isEmpty()) {
      return that;
    }
    return new OverlayPath(fs, path.equals("/") ? "/" + that.path : path + "/" + that.path);
  }

  @Override
  public OverlayPath resolve(String other) {
    return resolve(fs.getPath(other));
  }

  @Override
  public OverlayPath resolveSibling(Path other) {
    OverlayPath that = check(other);
    OverlayPath parent = getParent();
    return parent == null ? that : parent.resolve(that);
  }

  @Override
  public OverlayPath resolveSibling(String other) {
    return resolveSibling(fs.getPath(other));
  }

  @Override
  public OverlayPath relativize(Path other) {
    OverlayPath that = check(other);
    if (that.isAbsolute() != isAbsolute()) {
      throw new IllegalArgumentException("'other' is different type of Path");
    }
    if (that.path.equals(path)) {
      return new OverlayPath(fs, "");
    }
    if (path.isEmpty()) {
      return that;
    }
    List<String> mine = names();
    List<String> theirs = that.names();
    int common = 0;
    while (common < mine.size() && common < theirs.size()
        && mine.get(common).equals(theirs.get(common))) {
      common++;
    }
    List<String> out = new ArrayList<>();
    for (int i = common; i < mine.size(); i++) {
      out.add("..");
    }
    out.addAll(theirs.subList(common, theirs.size()));
    return new OverlayPath(fs, String.join("/", out));
  }

  private List<String> names() {
    List<String> out = new ArrayList<>();
    if (!path.isEmpty()) {
      for (int i = 0; i < getNameCount(); i++) {
        out.add(name(i));
      }
    }
    return out;
  }

  /** {@code overlay://NAME/absolute/path}, percent-encoded as a URI path. */
  @Override
  public URI toUri() {
    String abs = toAbsolutePath().path;
    try {
      return new URI(OverlayFileSystemProvider.SCHEME, fs.name(), abs, null);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public OverlayPath toAbsolutePath() {
    fs.requireOpen();
    return isAbsolute() ? this : fs.root().resolve(this);
  }

  /** The path with every symlink resolved (within the overlay), which must exist. */
  @Override
  public OverlayPath toRealPath(LinkOption... options) throws IOException {
    return fs.provider().realPath(this, OverlayFileSystemProvider.followLinks(options));
  }

  /** Not supported: watch services are not (the JDK's zip file system has none either). */
  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events,
      WatchEvent.Modifier... modifiers) {
    throw new UnsupportedOperationException("an overlay file system has no watch service");
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>... events) {
    throw new UnsupportedOperationException("an overlay file system has no watch service");
  }

  @Override
  public int compareTo(Path other) {
    OverlayPath that = (OverlayPath) other;
    return path.compareTo(that.path);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OverlayPath that && that.fs == fs && that.path.equals(path);
  }

  @Override
  public int hashCode() {
    return path.hashCode();
  }

  @Override
  public String toString() {
    return path;
  }

  private OverlayPath check(Path other) {
    if (!(Objects.requireNonNull(other) instanceof OverlayPath that)) {
      throw new ProviderMismatchException(other.getClass().getName());
    }
    if (that.fs != fs) {
      throw new ProviderMismatchException("a path of another overlay file system: "
          + that.fs.name());
    }
    return that;
  }

  static OverlayPath join(OverlayFileSystem fs, String first, String... more) {
    if (more.length == 0) {
      return new OverlayPath(fs, first);
    }
    StringBuilder sb = new StringBuilder(first);
    for (String s : Arrays.asList(more)) {
      if (!s.isEmpty()) {
        if (sb.length() > 0) {
          sb.append('/');
        }
        sb.append(s);
      }
    }
    return new OverlayPath(fs, sb.toString());
  }
}
