package io.overlay4j.fuse;

import io.overlay4j.core.config.OverlayConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Separates what mount(8) and container tools add to an option string (generic mount flags)
 * from the overlay's own options. Flags libfuse understands are passed on to it; the rest of
 * mount(8)'s vocabulary is accepted and ignored; everything else is the overlay's, whose parser
 * refuses what it does not know.
 */
record MountOptions(String overlay, List<String> fuse) {
  /** mount(8) flags that libfuse 2 applies to the mount itself, and its cache timeouts. */
  private static final Set<String> FUSE_FLAGS = Set.of("suid", "nosuid", "dev", "nodev", "exec",
      "noexec", "async", "sync", "atime", "noatime", "dirsync", "allow_other", "allow_root",
      "attr_timeout", "entry_timeout", "negative_timeout", "ac_attr_timeout");
  /** mount(8) vocabulary with no meaning for a FUSE overlay. */
  private static final Set<String> IGNORED = Set.of("defaults", "relatime", "norelatime",
      "strictatime", "nostrictatime", "lazytime", "nolazytime", "diratime", "nodiratime", "auto",
      "noauto", "user", "nouser", "users", "owner", "group", "nofail", "_netdev", "silent",
      "loud", "iversion", "noiversion", "mand", "nomand", "rbind", "bind");

  static MountOptions split(String options) {
    List<String> overlay = new ArrayList<>();
    List<String> fuse = new ArrayList<>();
    for (String opt : OverlayConfig.splitOptions(options)) {
      String name = opt.contains("=") ? opt.substring(0, opt.indexOf('=')) : opt;
      if (FUSE_FLAGS.contains(name)) {
        fuse.add(opt);
      } else if (IGNORED.contains(name) || name.startsWith("x-") || name.equals("comment")
          || name.equals("fsname") || name.equals("subtype")) {
        continue;
      } else if (!opt.isEmpty()) {
        overlay.add(opt);
      }
    }
    return new MountOptions(String.join(",", overlay), fuse);
  }
}
