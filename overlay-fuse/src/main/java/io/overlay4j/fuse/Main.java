package io.overlay4j.fuse;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code overlay4j} command. */
@Command(name = "overlay4j", mixinStandardHelpOptions = true, version = "overlay4j 0.1.0",
    description = "A Java implementation of Linux OverlayFS.",
    subcommands = {MountCommand.class, UmountCommand.class, StatsCommand.class,
        InstallHelperCommand.class})
public final class Main implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    // fuse-overlayfs's form, as container tools call it: overlay4j -o OPTIONS MERGED
    if (args.length > 0 && args[0].startsWith("-o")) {
      String[] mount = new String[args.length + 1];
      mount[0] = "mount";
      System.arraycopy(args, 0, mount, 1, args.length);
      args = mount;
    }
    CommandLine cl = new CommandLine(new Main());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    System.exit(cl.execute(args));
  }
}
