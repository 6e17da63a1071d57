package io.overlay4j.nio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Owners and groups as numbers with names, the way the JDK's Unix provider shows them: the name
 * from {@code /etc/passwd} or {@code /etc/group} where there is one, else the number. Lookup by
 * name accepts a name from those files or a number.
 */
final class Principals {
  private Principals() {}

  /** A user: its uid and the name the system gives it. */
  record User(int id, String name) implements UserPrincipal {
    @Override
    public String getName() {
      return name;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** A group: its gid and the name the system gives it. */
  record Group(int id, String name) implements GroupPrincipal {
    @Override
    public String getName() {
      return name;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static volatile Map<Integer, String> users;
  private static volatile Map<Integer, String> groups;

  static User user(int uid) {
    return new User(uid, names(true).getOrDefault(uid, Integer.toUnsignedString(uid)));
  }

  static Group group(int gid) {
    return new Group(gid, names(false).getOrDefault(gid, Integer.toUnsignedString(gid)));
  }

  /** The uid of an owner given by any provider's principal (matched by name, or number). */
  static int uidOf(UserPrincipal p) throws IOException {
    if (p instanceof User u) {
      return u.id();
    }
    return id(p.getName(), true);
  }

  static int gidOf(GroupPrincipal p) throws IOException {
    if (p instanceof Group g) {
      return g.id();
    }
    return id(p.getName(), false);
  }

  private static int id(String name, boolean user) throws UserPrincipalNotFoundException {
    for (Map.Entry<Integer, String> e : names(user).entrySet()) {
      if (e.getValue().equals(name)) {
        return e.getKey();
      }
    }
    try {
      return Integer.parseUnsignedInt(name);
    } catch (NumberFormatException e) {
      throw new UserPrincipalNotFoundException(name);
    }
  }

  private static Map<Integer, String> names(boolean user) {
    Map<Integer, String> m = user ? users : groups;
    if (m == null) {
      m = new HashMap<>();
      try {
        List<String> lines = Files.readAllLines(Path.of(user ? "/etc/passwd" : "/etc/group"));
        for (String line : lines) {
          String[] f = line.split(":");
          if (f.length >= 3 && !f[0].isEmpty()) {
            try {
              m.putIfAbsent(Integer.parseUnsignedInt(f[2]), f[0]);
            } catch (NumberFormatException ignored) {
              // a malformed line names no one
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        // no such file here: owners show as numbers
      }
      if (user) {
        users = m;
      } else {
        groups = m;
      }
    }
    return m;
  }

  static final UserPrincipalLookupService LOOKUP = new UserPrincipalLookupService() {
    @Override
    public UserPrincipal lookupPrincipalByName(String name) throws IOException {
      return user(id(name, true));
    }

    @Override
    public GroupPrincipal lookupPrincipalByGroupName(String group) throws IOException {
      return group(id(group, false));
    }
  };

  /** The calling process's credentials, for {@code checkAccess}. */
  record Credentials(int uid, int gid, int[] groups) {
    boolean inGroup(int g) {
      if (g == gid) {
        return true;
      }
      for (int x : groups) {
        if (x == g) {
          return true;
        }
      }
      return false;
    }
  }

  private static volatile Credentials self;

  /** The real uid and gid and the groups of this process (from /proc/self/status). */
  static Credentials self() {
    Credentials c = self;
    if (c == null) {
      int uid = -1;
      int gid = -1;
      int[] gs = new int[0];
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          String[] f = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
          if (line.startsWith("Uid:")) {
            uid = Integer.parseInt(f[0]); // the real ids: access(2) checks with them
          } else if (line.startsWith("Gid:")) {
            gid = Integer.parseInt(f[0]);
          } else if (line.startsWith("Groups:") && !f[0].isEmpty()) {
            gs = java.util.Arrays.stream(f).mapToInt(Integer::parseInt).toArray();
          }
        }
      } catch (IOException | RuntimeException e) {
        // not Linux: treat the process as an ordinary user matching only "other"
      }
      c = new Credentials(uid, gid, gs);
      self = c;
    }
    return c;
  }

  /** This process's umask (from /proc/self/status), or 022 where it cannot be read. */
  static int processUmask() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Umask:")) {
          return Integer.parseInt(line.substring(6).trim(), 8);
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return 022;
  }
}
