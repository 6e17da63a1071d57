package io.overlay4j.spec.conformance;

import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.LayerTree.Entry;
import io.overlay4j.spec.model.LayerTree.Kind;
import io.overlay4j.spec.model.Model;
import io.overlay4j.spec.model.Op;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads back the replay a failure prints ({@link Session#report}) — the lower layers, the
 * options and the numbered operations — and runs it against a target with every check, so a
 * divergence found by a long random run can be replayed alone, against any target.
 */
public final class Replay {
  /** A parsed replay. */
  public record Script(List<LayerTree> layers, Model.Options options, List<Op> ops) {}

  private static final Pattern LAYER = Pattern.compile("^\\s*lower (\\d+)( \\(top\\))?:\\s*$");
  private static final Pattern ENTRY = Pattern.compile("^\\s{4}(\\S+): (.*)$");
  private static final Pattern STEP = Pattern.compile("^\\s*\\d+\\. (.*)$");
  private static final Pattern QUOTED = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

  private Replay() {}

  public static Script parse(String text) {
    List<TreeMap<String, Entry>> layers = new ArrayList<>();
    List<Op> ops = new ArrayList<>();
    boolean redirect = false;
    TreeMap<String, Entry> current = null;
    for (String raw : text.split("\n")) {
      String line = raw.stripTrailing();
      Matcher m;
      if ((m = LAYER.matcher(line)).matches()) {
        current = new TreeMap<>();
        current.put("", new Entry(Kind.DIR, 0755));
        layers.add(current);
      } else if (line.trim().equals("options: redirect_dir=on")) {
        redirect = true;
      } else if ((m = STEP.matcher(line)).matches()) {
        current = null;
        String op = m.group(1);
        int arrow = op.indexOf("   -> ");
        if (arrow >= 0) {
          op = op.substring(0, arrow);
        }
        op = op.replace("   (skipped: not a regular file)", "");
        ops.add(parseOp(op.trim()));
      } else if (current != null && (m = ENTRY.matcher(line)).matches()) {
        entry(current, m.group(1), m.group(2));
      }
    }
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("no \"lower N:\" section: not a conformance replay");
    }
    List<LayerTree> trees = new ArrayList<>();
    for (TreeMap<String, Entry> l : layers) {
      long t = 1_600_000_000L + trees.size() * 100_000L;
      int k = 0;
      for (Entry e : l.values()) {
        e.mtimeNanos = (t + 1000L * k++) * 1_000_000_000L + 123_456_789L;
      }
      trees.add(new LayerTree(l));
    }
    return new Script(trees, new Model.Options(redirect), ops);
  }

  private static void entry(TreeMap<String, Entry> layer, String path, String desc) {
    if (desc.equals("(empty)")) {
      return;
    }
    parents(layer, path);
    if (desc.startsWith("hardlink of ")) {
      layer.put(path, layer.get(desc.substring("hardlink of ".length()).trim()));
      return;
    }
    String[] words = desc.split(" ");
    Kind kind = Kind.valueOf(words[0].toUpperCase());
    Entry e = new Entry(kind, kind == Kind.SYMLINK ? 0777 : 0);
    String rest = desc.substring(words[0].length()).trim();
    Matcher q = QUOTED.matcher(rest);
    if (kind == Kind.FILE && q.lookingAt()) {
      e.data = unquote(q.group(1)).getBytes(StandardCharsets.UTF_8);
      rest = rest.substring(q.end()).trim();
    } else if (kind == Kind.SYMLINK && rest.startsWith("-> ")) {
      Matcher t = QUOTED.matcher(rest.substring(3));
      if (t.lookingAt()) {
        e.target = unquote(t.group(1));
        rest = rest.substring(3 + t.end()).trim();
      }
    } else if (kind == Kind.CHAR) {
      String[] dev = rest.split(" ")[0].split(":");
      e.rdevMajor = Integer.parseInt(dev[0]);
      e.rdevMinor = Integer.parseInt(dev[1]);
      rest = rest.substring(rest.indexOf(' ') + 1).trim();
    }
    if (kind == Kind.XATTR_WHITEOUT) {
      e.xattrs.put(LayerTree.WHITEOUT_XATTR, new byte[0]);
    }
    while (!rest.isEmpty()) {
      int sp = rest.indexOf(' ');
      String word = sp < 0 ? rest : rest.substring(0, sp);
      if (word.matches("0[0-7]+")) {
        e.mode = Integer.parseInt(word, 8);
        rest = sp < 0 ? "" : rest.substring(sp + 1).trim();
      } else if (word.matches("\\d+:\\d+")) {
        e.uid = Integer.parseInt(word.split(":")[0]);
        e.gid = Integer.parseInt(word.split(":")[1]);
        rest = sp < 0 ? "" : rest.substring(sp + 1).trim();
      } else {
        int eq = rest.indexOf('=');
        Matcher v = QUOTED.matcher(rest.substring(eq + 1));
        if (eq < 0 || !v.lookingAt()) {
          throw new IllegalArgumentException("cannot read layer entry " + path + ": " + desc);
        }
        e.xattrs.put(rest.substring(0, eq), unquote(v.group(1)).getBytes(
            StandardCharsets.UTF_8));
        rest = rest.substring(eq + 1 + v.end()).trim();
      }
    }
    layer.put(path, e);
  }

  private static void parents(TreeMap<String, Entry> layer, String p) {
    int slash = -1;
    while ((slash = p.indexOf('/', slash + 1)) >= 0) {
      layer.putIfAbsent(p.substring(0, slash), new Entry(Kind.DIR, 0755));
    }
  }

  static Op parseOp(String s) {
    String[] w = s.split(" ");
    String rest = s.substring(w[0].length()).trim();
    switch (w[0]) {
      case "create" -> {
        return new Op.Create(w[1], Integer.parseInt(w[2], 8), quoted(rest));
      }
      case "write" -> {
        return new Op.Write(w[1], Op.WriteMode.valueOf(w[2].toUpperCase()), quoted(rest));
      }
      case "truncate" -> {
        return new Op.Truncate(w[1], Long.parseLong(w[2]));
      }
      case "mkdir" -> {
        return new Op.Mkdir(w[1], Integer.parseInt(w[2], 8));
      }
      case "mkfifo" -> {
        return new Op.Mkfifo(w[1], Integer.parseInt(w[2], 8));
      }
      case "rmdir" -> {
        return new Op.Rmdir(w[1]);
      }
      case "unlink" -> {
        return new Op.Unlink(w[1]);
      }
      case "rename" -> {
        int flags = 0;
        if (w.length > 4) {
          for (String f : w[4].split("\\|")) {
            flags |= switch (f) {
              case "NOREPLACE" -> Op.RENAME_NOREPLACE;
              case "EXCHANGE" -> Op.RENAME_EXCHANGE;
              case "WHITEOUT" -> Op.RENAME_WHITEOUT;
              default -> throw new IllegalArgumentException("rename flag " + f);
            };
          }
        }
        return new Op.Rename(w[1], w[3], flags);
      }
      case "chmod" -> {
        return new Op.Chmod(w[1], Integer.parseInt(w[2], 8));
      }
      case "chown" -> {
        String[] ids = w[2].split(":");
        return new Op.Chown(w[1], Integer.parseInt(ids[0]), Integer.parseInt(ids[1]));
      }
      case "utimens" -> {
        String[] t = w[2].substring("mtime=".length()).split("\\.");
        return new Op.SetMtime(w[1], Long.parseLong(t[0]) * 1_000_000_000L
            + Long.parseLong(t[1]));
      }
      case "symlink" -> {
        return new Op.Symlink(quoted(rest), w[1]);
      }
      case "link" -> {
        return new Op.Link(w[1], w[3]);
      }
      case "setxattr" -> {
        String spec = rest.substring(w[1].length()).trim();
        int eq = spec.indexOf('=');
        String value = quoted(spec.substring(eq + 1));
        int flags = spec.endsWith(" CREATE") ? Op.XATTR_CREATE
            : spec.endsWith(" REPLACE") ? Op.XATTR_REPLACE : 0;
        return new Op.SetXattr(w[1], spec.substring(0, eq), value, flags);
      }
      case "removexattr" -> {
        return new Op.RemoveXattr(w[1], w[2]);
      }
      case "remount" -> {
        return new Op.Remount();
      }
      default -> throw new IllegalArgumentException("unknown operation: " + s);
    }
  }

  private static String quoted(String s) {
    Matcher m = QUOTED.matcher(s);
    if (!m.find()) {
      throw new IllegalArgumentException("no quoted string in " + s);
    }
    return unquote(m.group(1));
  }

  private static String unquote(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(++i);
        sb.append(n == 'n' ? '\n' : n);
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Runs a script against a target, printing each step; true when every check passed. */
  static boolean run(Script script, Targets.Factory factory, PrintStream out) {
    out.println("replaying " + script.ops().size() + " operations over "
        + script.layers().size() + " lower layers against " + factory.name());
    try (Session s = Session.start(factory, script.layers(), script.options(),
        "replay against " + factory.name())) {
      for (Op op : script.ops()) {
        s.step(op);
      }
      s.finish();
      out.print(s.report("every check passed"));
      return true;
    } catch (AssertionError | Session.HarnessError e) {
      out.println(e.getMessage());
      return false;
    } catch (java.io.IOException e) {
      out.println("closing the target failed: " + e);
      return false;
    }
  }
}
