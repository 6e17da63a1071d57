package io.overlay4j.core.lookup;

import io.overlay4j.core.Errno;
import io.overlay4j.core.OverlayException;
import io.overlay4j.core.layer.Layer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves a whole merged path, component by component, the way the VFS does above the
 * kernel's overlay: {@code .} and {@code ..}, symlinks in the middle of a path (and at its end
 * when asked) followed within the overlay — an absolute target starts again at the overlay
 * root, so no path leaves it — at most 40 links, names at most 255 bytes, paths at most 4095.
 */
public final class PathResolver {
  public static final int NAME_MAX = 255;
  public static final int PATH_MAX = 4096;
  private static final int MAX_SYMLINKS = 40;

  private final Lookup lookup;

  /** A resolved path: the directory that holds the last name, the name, and what it is. */
  public record Resolution(MergedEntry parent, String name, MergedEntry entry) {
    /** The entry, or ENOENT. */
    public MergedEntry require() throws OverlayException {
      if (!entry.exists()) {
        throw new OverlayException(Errno.ENOENT, entry.path());
      }
      return entry;
    }
  }

  public PathResolver(Lookup lookup) {
    this.lookup = lookup;
  }

  /** Resolves a path; the last component's symlink is followed only when {@code followLast}. */
  public Resolution resolve(String path, boolean followLast) throws IOException {
    Resolution fast = cached(path, followLast);
    if (fast != null) {
      return fast;
    }
    checkLength(path);
    Deque<String> todo = new ArrayDeque<>(components(path));
    boolean mustBeDirectory = path.endsWith("/") || path.endsWith("/.") || path.endsWith("/..");
    Deque<MergedEntry> stack = new ArrayDeque<>();
    MergedEntry cur = lookup.root();
    MergedEntry parent = null;
    String name = "";
    int links = 0;
    while (!todo.isEmpty()) {
      String part = todo.pollFirst();
      if (!cur.isDirectory()) {
        throw new OverlayException(cur.exists() ? Errno.ENOTDIR : Errno.ENOENT, cur.path());
      }
      if (part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!stack.isEmpty()) {
          cur = stack.pop();
        }
        parent = stack.peek();
        name = cur.path().equals("/") ? "" : Layer.fileName(cur.path());
        continue;
      }
      MergedEntry next = lookup.child(cur, part);
      boolean last = todo.isEmpty();
      if (next.exists() && next.top().stat().isSymlink() && (!last || followLast
          || mustBeDirectory)) {
        if (++links > MAX_SYMLINKS) {
          throw new OverlayException(Errno.ELOOP, path, "too many levels of symbolic links");
        }
        String target = lookup.layers().get(next.top().layer()).readLink(next.top().path());
        checkLength(target);
        List<String> parts = components(target);
        for (int i = parts.size() - 1; i >= 0; i--) {
          todo.addFirst(parts.get(i));
        }
        if (target.startsWith("/")) {
          stack.clear();
          cur = lookup.root();
        }
        if (todo.isEmpty()) {
          // A link to "/" or "." resolves to the directory we are in.
          parent = stack.peek();
          name = cur.path().equals("/") ? "" : Layer.fileName(cur.path());
        }
        continue;
      }
      stack.push(cur);
      parent = cur;
      name = part;
      cur = next;
    }
    if (mustBeDirectory && cur.exists() && !cur.isDirectory()) {
      throw new OverlayException(Errno.ENOTDIR, cur.path());
    }
    return new Resolution(parent, name, cur);
  }

  /**
   * A cached resolution of a canonical path ({@code /a/b}: no {@code .}, {@code ..}, empty
   * components or trailing slash) from two cache probes, without walking the components; null
   * when the path is not canonical, the cache lacks the entry or its parent, or a last symlink
   * is to be followed. The cache keys are the merged paths that walks produced, so a cached
   * {@code /a/b} was validated and reached through real directories (a removal or rename of a
   * directory forgets everything below it), and the walk would give the same result.
   */
  private Resolution cached(String path, boolean followLast) {
    LookupCache cache = lookup.cache();
    if (!cache.enabled() || path.length() >= PATH_MAX / 3 || !isCanonical(path)) {
      return null;
    }
    if (path.length() == 1) {
      MergedEntry root = cache.peek(path);
      return root == null ? null : new Resolution(null, "", root);
    }
    MergedEntry e = cache.peek(path);
    if (e == null || followLast && e.exists() && e.top().stat().isSymlink()) {
      return null;
    }
    int slash = path.lastIndexOf('/');
    MergedEntry parent = cache.peek(slash == 0 ? "/" : path.substring(0, slash));
    if (parent == null || !parent.isDirectory()) {
      return null;
    }
    cache.hit();
    return new Resolution(parent, path.substring(slash + 1), e);
  }

  /** {@code /} or {@code /name/name...} with no empty, {@code .} or {@code ..} component. */
  private static boolean isCanonical(String path) {
    int n = path.length();
    if (n == 0 || path.charAt(0) != '/') {
      return false;
    }
    if (n == 1) {
      return true;
    }
    if (path.charAt(n - 1) == '/') {
      return false;
    }
    int start = 1;
    for (int i = 1; i <= n; i++) {
      if (i == n || path.charAt(i) == '/') {
        int len = i - start;
        if (len == 0 || path.charAt(start) == '.' && (len == 1
            || len == 2 && path.charAt(start + 1) == '.')) {
          return false;
        }
        start = i + 1;
      }
    }
    return true;
  }

  private static List<String> components(String path) throws OverlayException {
    List<String> out = new ArrayList<>();
    for (String part : path.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      if (part.indexOf('\0') >= 0) {
        throw new OverlayException(Errno.EINVAL, path, "NUL byte in a name");
      }
      if (part.indexOf('\uFFFD') >= 0) {
        // What a name that is not UTF-8 decodes to: two such names would be one file.
        throw new OverlayException(Errno.EILSEQ, path, "a name that is not valid UTF-8");
      }
      if (part.length() > NAME_MAX / 3 && part.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
        throw new OverlayException(Errno.ENAMETOOLONG, path,
            "a name is longer than " + NAME_MAX + " bytes");
      }
      out.add(part);
    }
    return out;
  }

  private static void checkLength(String path) throws OverlayException {
    if (path.length() >= PATH_MAX / 3
        && path.getBytes(StandardCharsets.UTF_8).length >= PATH_MAX) {
      throw new OverlayException(Errno.ENAMETOOLONG, path.substring(0, 64) + "...",
          "path is longer than " + (PATH_MAX - 1) + " bytes");
    }
    if (path.isEmpty()) {
      throw new OverlayException(Errno.ENOENT, path, "empty path");
    }
  }
}
