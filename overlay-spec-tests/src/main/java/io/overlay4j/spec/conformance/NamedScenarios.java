package io.overlay4j.spec.conformance;

import io.overlay4j.spec.model.LayerTree;
import io.overlay4j.spec.model.LayerTreeBuilder;
import io.overlay4j.spec.model.Model;
import io.overlay4j.spec.model.Op;
import io.overlay4j.spec.model.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Example;
import net.jqwik.api.Tag;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * Named scenarios: the behaviours the issue singles out, each reported by its name so a
 * divergence reads as what it is. Most run as a fixed {@link Session} (so every invariant of the
 * properties is checked after each step too); the rest check what no snapshot shows: data read
 * for a copy-up, a directory listing taken while the directory changes, open files.
 */
@AddLifecycleHook(value = ConformanceHook.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
public class NamedScenarios {
  private static Session session(String scenario, Model.Options options, LayerTree... lowers) {
    return Session.start(ConformanceConfig.factory(), List.of(lowers), options,
        "target " + ConformanceConfig.factory().name() + ", scenario " + scenario);
  }

  private static Session session(String scenario, LayerTree... lowers) {
    return session(scenario, Model.Options.DEFAULT, lowers);
  }

  private static void require(Session s, boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(s.report(what));
    }
  }

  /**
   * index=off: writing through one name of a lower hard-link pair copies that name up alone;
   * the other keeps the old content, while mounted and after a remount.
   */
  @Example
  @Tag("links")
  void writeThroughOneNameOfALowerHardLinkPair() throws IOException {
    LayerTree l = new LayerTreeBuilder().file("a", "old content\n").hardlink("b", "a")
        .dir("d").hardlink("d/c", "a").build();
    try (Session s = session("hard-link pair", l)) {
      s.step(new Op.Write("a", Op.WriteMode.TRUNCATE, "new content\n"));
      s.step(new Op.Remount());
      s.step(new Op.Write("d/c", Op.WriteMode.APPEND, "more\n"));
      s.step(new Op.Remount());
      s.finish();
    }
  }

  /** st_ino of files and directories stays the lower one across copy-up and remount. */
  @Example
  @Tag("copy-up")
  void inodeNumbersStableAcrossCopyUpAndRemount() throws IOException {
    LayerTree l1 = new LayerTreeBuilder().file("f", "f\n").dir("d").file("d/g", "g\n")
        .file("h", "h\n").build();
    LayerTree l2 = new LayerTreeBuilder().dir("d").file("d/x", "x\n").build();
    try (Session s = session("st_ino stable", l1, l2)) {
      Target t = s.target();
      List<String> paths = List.of("f", "d", "d/g", "d/x", "h");
      List<Long> before = new ArrayList<>();
      for (String p : paths) {
        before.add(t.ino(p));
      }
      s.step(new Op.Chmod("f", 0600));
      s.step(new Op.Write("d/g", Op.WriteMode.APPEND, "more\n"));
      s.step(new Op.SetMtime("d/x", 1_000_000_000_000_000_000L));
      s.step(new Op.Rename("h", "d/h2", 0));
      s.step(new Op.Remount());
      List<String> changed = new ArrayList<>();
      List<String> after = List.of("f", "d", "d/g", "d/x", "d/h2");
      for (int i = 0; i < paths.size(); i++) {
        long now = t.ino(after.get(i));
        if (now != before.get(i)) {
          changed.add(paths.get(i) + (after.get(i).equals(paths.get(i)) ? "" : " (now "
              + after.get(i) + ")") + ": " + before.get(i) + " -> " + now);
        }
      }
      require(s, changed.isEmpty(), "st_ino changed across copy-up/rename/remount: " + changed);
      s.finish();
    }
  }

  /** Deleting a lower file leaves a whiteout and copies none of its data up. */
  @Example
  @Tag("whiteouts")
  void deletingALargeLowerFileCopiesNoData() throws IOException {
    byte[] big = new byte[8 << 20];
    Arrays.fill(big, (byte) 'x');
    LayerTree l = new LayerTreeBuilder().file("big", big).dir("d").file("d/big2", big).build();
    Targets.Factory f = ConformanceConfig.factory();
    try (Target t = f.create(List.of(l), Model.Options.DEFAULT)) {
      long old = 1_000_000_000L * 1_000_000_000L; // atime older than mtime: a read moves it
      t.setLowerAtime(0, "big", old);
      t.setLowerAtime(0, "d/big2", old);
      long copiedBefore = t.bytesCopiedUp();
      List<String> problems = new ArrayList<>();
      for (String p : List.of("big", "d/big2")) {
        Outcome o = t.apply(new Op.Unlink(p));
        if (!o.ok()) {
          problems.add("unlink " + p + " returned " + o);
        }
      }
      long copied = t.bytesCopiedUp();
      if (copied >= 0 && copied != copiedBefore) {
        problems.add("the overlay copied " + (copied - copiedBefore) + " bytes up to delete");
      }
      for (String p : List.of("big", "d/big2")) {
        long at = t.lowerAtime(0, p);
        if (at >= 0 && at != old) {
          problems.add("the lower file " + p + " was read (its atime moved): its data was "
              + "copied up to delete it");
        }
      }
      long upperData = t.upperDataBytes();
      if (upperData > (1 << 20)) {
        problems.add("upper holds " + upperData + " bytes of file data after the deletes");
      }
      t.unmount();
      List<String> work = t.workLeftovers();
      if (work != null && !work.isEmpty()) {
        problems.add("left in the work directory: " + work);
      }
      if (!problems.isEmpty()) {
        throw new AssertionError(f.name() + ": deleting 8 MiB lower files big and d/big2: "
            + String.join("; ", problems));
      }
    }
  }

  /** rename(2) of a lower directory: EXDEV by default, a redirect with redirect_dir=on. */
  @Example
  @Tag("rename")
  void renameOfALowerDirectory() throws IOException {
    LayerTree l = new LayerTreeBuilder().dir("d").file("d/f", "f\n").dir("d/sub")
        .file("d/sub/g", "g\n").dir("p").build();
    try (Session s = session("rename lower dir", l)) {
      s.step(new Op.Rename("d", "e", 0)); // EXDEV
      s.step(new Op.Rename("d", "p/d", 0)); // EXDEV
      s.finish();
    }
    try (Session s = session("rename lower dir, redirect_dir=on", new Model.Options(true), l)) {
      s.step(new Op.Rename("d", "e", 0));
      s.step(new Op.Rename("e/sub", "p/moved", 0));
      s.step(new Op.Remount());
      s.step(new Op.Create("d", 0644, "a file where the directory was\n"));
      s.step(new Op.Remount());
      s.finish();
    }
  }

  /** rmdir of a directory that has lower entries, all whited out: empty in the merged view. */
  @Example
  @Tag("opaque")
  void rmdirOfADirectoryEmptyOnlyInTheMergedView() throws IOException {
    LayerTree l1 = new LayerTreeBuilder().dir("d").whiteout("d/x").dir("e").build();
    LayerTree l2 = new LayerTreeBuilder().file("d/x", "x\n").file("d/y", "y\n")
        .file("e/z", "z\n").build();
    try (Session s = session("rmdir merged-empty", l1, l2)) {
      s.step(new Op.Rmdir("d")); // ENOTEMPTY: y is there
      s.step(new Op.Unlink("d/y"));
      s.step(new Op.Rmdir("d"));
      s.step(new Op.Mkdir("d", 0755)); // opaque: nothing of the lowers shows
      s.step(new Op.Unlink("e/z"));
      s.step(new Op.Rmdir("e"));
      s.step(new Op.Remount());
      s.finish();
    }
  }

  /**
   * A merged directory's listing is taken once per open directory: names made while it is open
   * appear only after rewinddir, and each name is listed once.
   */
  @Example
  @Tag("readdir")
  void readdirOfADirectoryModifiedWhileOpen() throws IOException {
    LayerTreeBuilder b1 = new LayerTreeBuilder().dir("d");
    LayerTreeBuilder b2 = new LayerTreeBuilder().dir("d");
    for (int i = 0; i < 12; i++) {
      (i % 2 == 0 ? b1 : b2).file("d/entry-with-a-longer-name-" + i, "" + i);
    }
    try (Session s = session("readdir while open", b1.build(), b2.build())) {
      Target t = s.target();
      Set<String> original = new TreeSet<>();
      for (int i = 0; i < 12; i++) {
        original.add("entry-with-a-longer-name-" + i);
      }
      List<String> seen = new ArrayList<>();
      try (Target.DirHandle d = t.openDir("d")) {
        seen.addAll(d.next());
        s.step(new Op.Create("d/new-while-open", 0644, "n"));
        for (List<String> more; !(more = d.next()).isEmpty(); ) {
          seen.addAll(more);
        }
        require(s, !seen.contains("new-while-open"), "readdir listed d/new-while-open, made "
            + "after the directory was opened and before rewinddir (the kernel lists it only "
            + "after rewinddir); listed: " + seen);
        require(s, new TreeSet<>(seen).equals(original) && seen.size() == original.size(),
            "the first pass over d listed " + seen + ", the kernel lists each of " + original
            + " once");
        d.rewind();
        List<String> again = new ArrayList<>();
        for (List<String> more; !(more = d.next()).isEmpty(); ) {
          again.addAll(more);
        }
        Set<String> want = new TreeSet<>(original);
        want.add("new-while-open");
        require(s, new TreeSet<>(again).equals(want) && again.size() == want.size(),
            "after rewinddir d listed " + again + ", the kernel lists " + want);
      }
      s.finish();
    }
  }

  /** A name of NAME_MAX bytes works everywhere; one byte more and paths past PATH_MAX do not. */
  @Example
  @Tag("lookup")
  void namesAtNameMaxAndPathsNearPathMax() throws IOException {
    String max = "n".repeat(255);
    String deep = "d".repeat(200);
    LayerTree l = new LayerTreeBuilder().file(max, "lower file with a long name\n")
        .dir(deep + "/" + deep).file(deep + "/" + deep + "/" + max, "deep\n").build();
    try (Session s = session("NAME_MAX and PATH_MAX", l)) {
      s.step(new Op.Chmod(max, 0600)); // copy-up of a NAME_MAX name
      s.step(new Op.Create("m".repeat(255), 0644, "x"));
      s.step(new Op.Create("m".repeat(256), 0644, "x")); // ENAMETOOLONG
      s.step(new Op.Unlink(deep + "/" + deep + "/" + max)); // whiteout with a NAME_MAX name
      StringBuilder p = new StringBuilder(deep + "/" + deep);
      while (p.length() < 3500) {
        p.append('/').append("e".repeat(250));
        s.step(new Op.Mkdir(p.toString(), 0755));
      }
      s.step(new Op.Create(p + "/" + "f".repeat(200), 0644, "near PATH_MAX\n"));
      s.step(new Op.Create(p + "/" + "g".repeat(250) + "/" + "h".repeat(250), 0644, "x"));
      s.step(new Op.Rename(max, p + "/moved", 0));
      s.step(new Op.Remount());
      s.finish();
    }
  }

  /** A file unlinked while open stays readable and writable through its descriptors. */
  @Example
  @Tag("links")
  void openUnlinkedFile() throws IOException {
    LayerTree l = new LayerTreeBuilder().file("f", "lower data\n").file("g", "lower g\n")
        .build();
    try (Session s = session("open unlinked file", l)) {
      Target t = s.target();
      s.step(new Op.Write("f", Op.WriteMode.OVERWRITE, "")); // what open(O_WRONLY) does
      try (Target.FileHandle w = t.open("f", true); Target.FileHandle r = t.open("f", false);
          Target.FileHandle lower = t.open("g", false)) {
        s.step(new Op.Unlink("f"));
        s.step(new Op.Unlink("g"));
        Outcome o = w.write("written after unlink\n".getBytes(StandardCharsets.UTF_8), 0);
        require(s, o.ok(), "write through a descriptor of unlinked f returned " + o);
        String got = new String(r.readAll(), StandardCharsets.UTF_8);
        require(s, got.equals("written after unlink\n"), "reading unlinked f through another "
            + "descriptor gave \"" + got + "\", not what was written through the first");
        String g = new String(lower.readAll(), StandardCharsets.UTF_8);
        require(s, g.equals("lower g\n"), "reading unlinked lower g through a descriptor "
            + "opened before gave \"" + g + "\"");
        s.check("with f and g unlinked but open", null);
      }
      s.check("after closing the unlinked files", null);
      s.finish();
    }
  }
}
