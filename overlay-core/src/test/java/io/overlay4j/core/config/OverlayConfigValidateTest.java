package io.overlay4j.core.config;

import static io.overlay4j.core.config.ConfigAssertions.assertFails;
import static io.overlay4j.core.config.ConfigAssertions.assertWarning;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlay4j.core.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OverlayConfig#validate()} against real directories. */
class OverlayConfigValidateTest {
  @TempDir Path tmp;
  Path l1;
  Path l2;
  Path upper;
  Path work;

  @BeforeEach
  void layers() throws IOException {
    l1 = Files.createDirectory(tmp.resolve("l1"));
    l2 = Files.createDirectory(tmp.resolve("l2"));
    upper = Files.createDirectory(tmp.resolve("upper"));
    work = Files.createDirectory(tmp.resolve("work"));
  }

  private OverlayConfig rw(Path upperDir, Path workDir, Path... lowers) {
    return OverlayConfig.builder().lowerDirs(lowers).upperDir(upperDir).workDir(workDir).build();
  }

  private OverlayConfig rw() {
    return rw(upper, work, l1, l2);
  }

  @Test
  void goodLayersValidateToTheSameInstance() {
    OverlayConfig c = rw();
    assertSame(c, c.validate());
    assertEquals(List.of(), c.validate().warnings());
  }

  @Test
  void goodReadOnlyOverlayWithDataLayer() throws IOException {
    Path d = Files.createDirectory(tmp.resolve("data"));
    OverlayConfig c = OverlayConfig.builder().lowerDirs(l1, l2).addDataDir(d).build();
    assertSame(c, c.validate());
  }

  @Test
  void symlinkToADirectoryIsFollowed() throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("link"), l2);
    OverlayConfig c = rw(upper, work, l1, link);
    assertSame(c, c.validate());
  }

  @Test
  void missingLowerdir() {
    Path missing = tmp.resolve("nope");
    OverlayConfigException e =
        assertFails(() -> rw(upper, work, l1, missing).validate(), "lowerdir " + missing + ": no such directory");
    assertEquals(Errno.ENOENT, e.errno());
    assertEquals(Optional.of("lowerdir"), e.option());
  }

  @Test
  void missingUpperdir() {
    Path missing = tmp.resolve("nope");
    assertFails(() -> rw(missing, work, l1).validate(), "upperdir " + missing + ": no such directory");
  }

  @Test
  void missingWorkdir() {
    Path missing = tmp.resolve("nope");
    assertFails(() -> rw(upper, missing, l1).validate(), "workdir " + missing + ": no such directory");
  }

  @Test
  void missingDataLayer() {
    Path missing = tmp.resolve("nope");
    assertFails(
        () -> OverlayConfig.builder().lowerDirs(l1, l2).addDataDir(missing).build().validate(),
        "data-only layer " + missing + ": no such directory");
  }

  @Test
  void danglingSymlink() throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("dangling"), tmp.resolve("gone"));
    assertFails(() -> rw(upper, work, link).validate(), "lowerdir " + link + ": no such directory (dangling symbolic link)");
  }

  @Test
  void fileInsteadOfDirectory() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    OverlayConfigException e =
        assertFails(() -> rw(upper, work, l1, file).validate(), "lowerdir " + file + ": not a directory (a regular file)");
    assertEquals(Errno.ENOTDIR, e.errno());
    assertFails(() -> rw(file, work, l1).validate(), "upperdir " + file + ": not a directory");
    assertFails(() -> rw(upper, file, l1).validate(), "workdir " + file + ": not a directory");
  }

  @Test
  void workdirInsideUpperdir() throws IOException {
    Path nested = Files.createDirectory(upper.resolve("w"));
    assertFails(() -> rw(upper, nested, l1).validate(), "workdir " + nested + " is inside upperdir " + upper);
  }

  @Test
  void upperdirInsideWorkdir() throws IOException {
    Path nested = Files.createDirectory(work.resolve("u"));
    assertFails(() -> rw(nested, work, l1).validate(), "upperdir " + nested + " is inside workdir " + work);
  }

  @Test
  void workdirInsideUpperdirThroughASymlink() throws IOException {
    Path nested = Files.createDirectory(upper.resolve("w"));
    Path link = Files.createSymbolicLink(tmp.resolve("wlink"), nested);
    assertFails(
        () -> rw(upper, link, l1).validate(),
        "workdir " + link + " is inside upperdir " + upper,
        "after resolving symbolic links");
  }

  @Test
  void workdirSameDirectoryAsUpperdirUnderAnotherName() throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("ulink"), upper);
    assertFails(() -> rw(upper, link, l1).validate(), "workdir " + link + " is the same directory as upperdir " + upper);
  }

  @Test
  void sameLowerTwiceUnderAnotherName() throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("l1link"), l1);
    OverlayConfigException e =
        assertFails(() -> rw(upper, work, l1, link).validate(), "lowerdir " + link + " is given twice (both are ");
    assertEquals(Errno.ELOOP, e.errno());
  }

  @Test
  void lowerSameAsUpperUnderAnotherName() throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("ulink"), upper);
    assertFails(() -> rw(upper, work, l1, link).validate(), "lowerdir " + link + " is the same directory as upperdir " + upper);
  }

  @Test
  void lowerInsideUpper() throws IOException {
    // Kernel: "overlapping lowerdir path" (ELOOP).
    Path nested = Files.createDirectory(upper.resolve("sub"));
    OverlayConfigException e =
        assertFails(() -> rw(upper, work, l1, nested).validate(), "lowerdir " + nested + " is inside upperdir " + upper);
    assertEquals(Errno.ELOOP, e.errno());
  }

  @Test
  void lowerInsideWorkdir() throws IOException {
    Path nested = Files.createDirectory(work.resolve("work"));
    assertFails(() -> rw(upper, work, l1, nested).validate(), "lowerdir " + nested + " is inside workdir " + work);
  }

  @Test
  void lowerInsideAnotherLowerEitherWay() throws IOException {
    Path nested = Files.createDirectory(l1.resolve("sub"));
    assertFails(() -> rw(upper, work, l1, nested).validate(), "lowerdir " + nested + " is inside lowerdir " + l1);
    assertFails(() -> rw(upper, work, nested, l1).validate(), "lowerdir " + nested + " is inside lowerdir " + l1);
  }

  @Test
  void dataLayerInsideALowerLayer() throws IOException {
    Path nested = Files.createDirectory(l2.resolve("data"));
    assertFails(
        () -> OverlayConfig.builder().lowerDirs(l1, l2).addDataDir(nested).build().validate(),
        "data-only layer " + nested + " is inside lowerdir " + l2);
  }

  @Test
  void upperInsideALowerLayerIsAllowedWithAWarning() throws IOException {
    // Kernel 6.18 mounts "lowerdir=l1,upperdir=l1/sub,workdir=w".
    Path nested = Files.createDirectory(l1.resolve("up"));
    OverlayConfig c = rw(nested, work, l1);
    OverlayConfig checked = c.validate();
    assertNotSame(c, checked);
    assertEquals(c, checked);
    assertWarning(checked, "upperdir " + nested + " is inside lowerdir " + l1);
  }

  @Test
  void workdirInsideALowerLayerIsAllowedWithAWarning() throws IOException {
    Path nested = Files.createDirectory(l1.resolve("wk"));
    assertWarning(rw(upper, nested, l1).validate(), "workdir " + nested + " is inside lowerdir " + l1);
  }

  @Test
  void nonEmptyWorkdirIsRefused() throws IOException {
    Files.writeString(work.resolve("notes.txt"), "x");
    Files.createDirectory(work.resolve("work"));
    assertFails(
        () -> rw().validate(),
        "workdir " + work + " is not empty and not an overlay workdir: it contains \"notes.txt\"",
        "only work/ and index/");
  }

  @Test
  void manyForeignEntriesAreSummarized() throws IOException {
    for (String n : List.of("a", "b", "c", "d", "e")) {
      Files.createDirectory(work.resolve(n));
    }
    assertFails(() -> rw().validate(), "it contains \"a\", \"b\", \"c\" and 2 more");
  }

  @Test
  void reusableWorkdirIsAccepted() throws IOException {
    Path w = Files.createDirectory(work.resolve("work"));
    Files.writeString(w.resolve("#1234"), "leftover copy-up");
    Files.createDirectories(w.resolve("incompat"));
    Files.createDirectory(work.resolve("index"));
    OverlayConfig c = rw();
    assertSame(c, c.validate());
  }

  @Test
  void workAsAFileIsRefused() throws IOException {
    Files.writeString(work.resolve("work"), "x");
    assertFails(() -> rw().validate(), work.resolve("work") + " is not a directory");
  }

  @Test
  void volatileDirtyMarkerIsRefused() throws IOException {
    Path marker = Files.createDirectories(work.resolve("work/incompat/volatile"));
    Files.createFile(marker.resolve("dirty"));
    OverlayConfig c =
        OverlayConfig.builder().lowerDirs(l1).upperDir(upper).workDir(work).volatileMode(true).build();
    assertFails(
        c::validate,
        "workdir " + work + " has a volatile dirty marker from a previous volatile mount",
        "remove " + work.resolve("work/incompat/volatile") + " to reuse it");
  }

  @Test
  void volatileMarkerAlsoBlocksANonVolatileMount() throws IOException {
    // Kernel: "overlay with incompat feature 'volatile' cannot be mounted", with or without the
    // dirty file inside, and whether or not the new mount is volatile.
    Files.createDirectories(work.resolve("work/incompat/volatile"));
    assertFails(() -> rw().validate(), "volatile dirty marker", "remove " + work.resolve("work/incompat/volatile"));
  }

  @Test
  void unknownIncompatFeatureIsRefused() throws IOException {
    Files.createDirectories(work.resolve("work/incompat/shiny"));
    assertFails(() -> rw().validate(), "incompatible feature marker " + work.resolve("work/incompat/shiny"));
  }

  @Test
  void upperAndWorkOnDifferentFilesystems() throws IOException {
    Path shm = Path.of("/dev/shm");
    assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "/dev/shm is not a writable directory here");
    Object tmpDev = Files.getAttribute(upper, "unix:dev");
    Object shmDev = Files.getAttribute(shm, "unix:dev");
    assumeTrue(
        !tmpDev.equals(shmDev),
        "/dev/shm (device " + shmDev + ") and " + tmp + " (device " + tmpDev
            + ") are on the same filesystem here, so this cannot be tested");
    Path shmWork = Files.createTempDirectory(shm, "cfgtest-work");
    try {
      assertFails(
          () -> rw(upper, shmWork, l1).validate(),
          "upperdir " + upper + " and workdir " + shmWork + " are on different filesystems",
          "rename(2)");
    } finally {
      Files.delete(shmWork);
    }
  }

  @Test
  void parsedOptionsValidateToo() {
    OverlayConfig c =
        OverlayConfig.parse(
            "lowerdir=" + l1 + ":" + l2 + ",upperdir=" + upper + ",workdir=" + work + ",volatile");
    assertSame(c, c.validate());
  }
}
