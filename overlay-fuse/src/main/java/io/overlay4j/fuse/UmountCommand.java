package io.overlay4j.fuse;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code overlay4j umount MERGED}: unmounts; the server then exits by itself. */
@Command(name = "umount", mixinStandardHelpOptions = true,
    description = "Unmount an overlay4j mount (the server then exits).")
final class UmountCommand implements Callable<Integer> {
  @Option(names = "-l", description = "Lazy: detach now, clean up when no longer busy.")
  boolean lazy;

  @Parameters(paramLabel = "MERGED")
  Path merged;

  @Override
  public Integer call() throws Exception {
    Path dir = merged.toAbsolutePath().normalize();
    if (!MountTable.isMountPoint(dir)) {
      return MountCommand.error(dir + " is not mounted");
    }
    if (MountTable.unmount(dir, lazy) != 0) {
      return MountCommand.error("could not unmount " + dir);
    }
    return 0;
  }
}
