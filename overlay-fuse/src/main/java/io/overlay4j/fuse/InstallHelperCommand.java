package io.overlay4j.fuse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Installs {@code mount.fuse.overlay4j}, so that
 * {@code mount -t fuse.overlay4j overlay4j MERGED -o lowerdir=..} works. mount(8) runs helpers
 * with an empty environment, so the helper names Java and the jar itself (and, for a JVM
 * emulated by qemu-user, where qemu finds that JVM's libraries: {@code QEMU_LD_PREFIX}).
 */
@Command(name = "install-helper", mixinStandardHelpOptions = true,
    description = "Install mount.fuse.overlay4j so that mount -t fuse.overlay4j works.")
final class InstallHelperCommand implements Callable<Integer> {
  @Option(names = "--dir", defaultValue = "/sbin", description = "Where (default ${DEFAULT-VALUE}).")
  Path dir;

  @Override
  public Integer call() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    StringBuilder cp = new StringBuilder();
    for (String entry : System.getProperty("java.class.path").split(":")) {
      cp.append(cp.length() == 0 ? "" : ":").append(Path.of(entry).toAbsolutePath());
    }
    String qemuPrefix = System.getenv("QEMU_LD_PREFIX");
    String emulation = qemuPrefix == null || qemuPrefix.isEmpty() ? ""
        : "# This java is emulated by qemu-user (overlay4j --arch): its libraries are here.\n"
            + "export QEMU_LD_PREFIX='" + qemuPrefix + "'\n";
    String script = """
        #!/bin/sh
        # Installed by overlay4j install-helper. mount(8) calls:
        #   mount.fuse.overlay4j SOURCE MOUNTPOINT -o OPTIONS
        export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
        %sexec '%s' -cp '%s' %s mount "$@"
        """.formatted(emulation, java, cp, Main.class.getName());
    Path helper = dir.resolve("mount.fuse.overlay4j");
    Files.writeString(helper, script);
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
    System.out.println("installed " + helper);
    return 0;
  }
}
