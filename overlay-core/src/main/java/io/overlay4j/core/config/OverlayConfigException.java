package io.overlay4j.core.config;

import io.overlay4j.core.Errno;
import java.util.Objects;
import java.util.Optional;

/**
 * An overlay configuration the kernel would refuse, with the reason spelled out. Where the kernel
 * answers every such problem with "wrong fs type, bad option" and a line in the kernel log, the
 * message here names the option and the problem, for example {@code lowerdir: trailing ':' in
 * "a:b:"}, {@code upperdir /x: no such directory}, {@code workdir /u/w is inside upperdir /u},
 * {@code unknown option "foo"} or {@code conflicting options: metacopy=on,redirect_dir=off}.
 * It is what {@code overlay4j mount} prints.
 *
 * <p>{@link #errno()} is the error the kernel's {@code mount(2)} returns for the same problem
 * (EINVAL for most, ELOOP for overlapping layers, ENOENT for a missing directory), so a mount
 * helper can exit the way {@code mount -t overlay} would.
 */
public final class OverlayConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String option;
  private final Errno errno;

  /** A problem with the configuration as a whole, reported as EINVAL. */
  public OverlayConfigException(String message) {
    this(null, message, Errno.EINVAL);
  }

  /** A problem with one option (named without {@code =}, e.g. {@code "lowerdir"}), as EINVAL. */
  public OverlayConfigException(String option, String message) {
    this(option, message, Errno.EINVAL);
  }

  /** A problem with one option (or {@code null} for none), reported as {@code errno}. */
  public OverlayConfigException(String option, String message, Errno errno) {
    super(Objects.requireNonNull(message, "message"));
    this.option = option;
    this.errno = Objects.requireNonNull(errno, "errno");
  }

  /** The option the problem is about (e.g. {@code "upperdir"}), if it is about one. */
  public Optional<String> option() {
    return Optional.ofNullable(option);
  }

  /** The errno the kernel's mount(2) reports for this problem. */
  public Errno errno() {
    return errno;
  }
}
