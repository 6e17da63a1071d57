package io.overlay4j.spec.model;

import java.nio.charset.StandardCharsets;

/**
 * One operation on the merged view, as a value: what the reference {@link Model} and every
 * target apply, and one line of a failure's replay sequence. Paths are relative to the overlay
 * root ({@code a/b}); none is empty.
 */
public sealed interface Op {
  /** One line, readable and unambiguous: {@code rename a -> b/c NOREPLACE}. */
  String describe();

  /** The syscall-level name of the operation (for statistics). */
  String kind();

  /** open(O_WRONLY|O_CREAT|O_EXCL, mode), then write {@code data}. */
  record Create(String path, int mode, String data) implements Op {
    public String describe() {
      return "create " + path + " " + oct(mode) + " " + quote(data);
    }

    public String kind() {
      return "create";
    }
  }

  /** How a {@link Write} opens the file. */
  enum WriteMode {
    /** O_WRONLY, pwrite at 0: overwrites a prefix. */
    OVERWRITE,
    /** O_WRONLY|O_APPEND. */
    APPEND,
    /** O_WRONLY|O_TRUNC. */
    TRUNCATE
  }

  /** open(O_WRONLY [|O_APPEND|O_TRUNC]) following a last symlink, write, close. */
  record Write(String path, WriteMode mode, String data) implements Op {
    public String describe() {
      return "write " + path + " " + mode.name().toLowerCase() + " " + quote(data);
    }

    public String kind() {
      return "write";
    }
  }

  record Truncate(String path, long size) implements Op {
    public String describe() {
      return "truncate " + path + " " + size;
    }

    public String kind() {
      return "truncate";
    }
  }

  record Mkdir(String path, int mode) implements Op {
    public String describe() {
      return "mkdir " + path + " " + oct(mode);
    }

    public String kind() {
      return "mkdir";
    }
  }

  record Mkfifo(String path, int mode) implements Op {
    public String describe() {
      return "mkfifo " + path + " " + oct(mode);
    }

    public String kind() {
      return "mkfifo";
    }
  }

  record Rmdir(String path) implements Op {
    public String describe() {
      return "rmdir " + path;
    }

    public String kind() {
      return "rmdir";
    }
  }

  record Unlink(String path) implements Op {
    public String describe() {
      return "unlink " + path;
    }

    public String kind() {
      return "unlink";
    }
  }

  int RENAME_NOREPLACE = 1;
  int RENAME_EXCHANGE = 2;
  int RENAME_WHITEOUT = 4;

  /** renameat2(from, to, flags). */
  record Rename(String from, String to, int flags) implements Op {
    public String describe() {
      return "rename " + from + " -> " + to + (flags == 0 ? "" : " " + renameFlags(flags));
    }

    public String kind() {
      return "rename";
    }
  }

  /** chmod(2), following a last symlink. */
  record Chmod(String path, int mode) implements Op {
    public String describe() {
      return "chmod " + path + " " + oct(mode);
    }

    public String kind() {
      return "chmod";
    }
  }

  /** lchown(2). */
  record Chown(String path, int uid, int gid) implements Op {
    public String describe() {
      return "chown " + path + " " + uid + ":" + gid;
    }

    public String kind() {
      return "chown";
    }
  }

  /** utimensat(AT_SYMLINK_NOFOLLOW) setting mtime, leaving atime. */
  record SetMtime(String path, long mtimeNanos) implements Op {
    public String describe() {
      return "utimens " + path + " mtime=" + mtimeNanos / 1_000_000_000L + "."
          + String.format("%09d", mtimeNanos % 1_000_000_000L);
    }

    public String kind() {
      return "utimens";
    }
  }

  record Symlink(String target, String path) implements Op {
    public String describe() {
      return "symlink " + path + " -> " + quote(target);
    }

    public String kind() {
      return "symlink";
    }
  }

  /** link(existing, path): not following a symlink at {@code existing}. */
  record Link(String existing, String path) implements Op {
    public String describe() {
      return "link " + existing + " => " + path;
    }

    public String kind() {
      return "link";
    }
  }

  int XATTR_CREATE = 1;
  int XATTR_REPLACE = 2;

  /** lsetxattr(2). */
  record SetXattr(String path, String name, String value, int flags) implements Op {
    public String describe() {
      return "setxattr " + path + " " + name + "=" + quote(value)
          + (flags == XATTR_CREATE ? " CREATE" : flags == XATTR_REPLACE ? " REPLACE" : "");
    }

    public String kind() {
      return "setxattr";
    }
  }

  /** lremovexattr(2). */
  record RemoveXattr(String path, String name) implements Op {
    public String describe() {
      return "removexattr " + path + " " + name;
    }

    public String kind() {
      return "removexattr";
    }
  }

  /** Unmount and mount again over the same directories (a fresh Overlay for the core). */
  record Remount() implements Op {
    public String describe() {
      return "remount";
    }

    public String kind() {
      return "remount";
    }
  }

  static String renameFlags(int flags) {
    StringBuilder sb = new StringBuilder();
    if ((flags & RENAME_NOREPLACE) != 0) {
      sb.append("NOREPLACE");
    }
    if ((flags & RENAME_EXCHANGE) != 0) {
      sb.append(sb.length() > 0 ? "|" : "").append("EXCHANGE");
    }
    if ((flags & RENAME_WHITEOUT) != 0) {
      sb.append(sb.length() > 0 ? "|" : "").append("WHITEOUT");
    }
    return sb.toString();
  }

  static String oct(int mode) {
    return String.format("0%o", mode);
  }

  static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
