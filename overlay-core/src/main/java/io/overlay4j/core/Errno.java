package io.overlay4j.core;

/**
 * The Linux errno values the overlay reports. Numbers are the generic Linux ones (identical on
 * x86_64 and aarch64), so the FUSE adapter can return {@code -errno.number()} unchanged.
 */
public enum Errno {
  EPERM(1),
  ENOENT(2),
  EIO(5),
  ENXIO(6),
  E2BIG(7),
  EBADF(9),
  EAGAIN(11),
  ENOMEM(12),
  EACCES(13),
  EBUSY(16),
  EEXIST(17),
  EXDEV(18),
  ENODEV(19),
  ENOTDIR(20),
  EISDIR(21),
  EINVAL(22),
  ENFILE(23),
  EMFILE(24),
  ETXTBSY(26),
  EFBIG(27),
  ENOSPC(28),
  ESPIPE(29),
  EROFS(30),
  EMLINK(31),
  ERANGE(34),
  ENAMETOOLONG(36),
  ENOSYS(38),
  ENOTEMPTY(39),
  ELOOP(40),
  ENODATA(61),
  EILSEQ(84),
  EOVERFLOW(75),
  EOPNOTSUPP(95),
  EDQUOT(122),
  ESTALE(116);

  private final int number;

  Errno(int number) {
    this.number = number;
  }

  /** The positive Linux errno number. */
  public int number() {
    return number;
  }

  /** The constant for a Linux errno number, or {@link #EIO} for one this enum does not name. */
  public static Errno of(int number) {
    for (Errno e : values()) {
      if (e.number == number) {
        return e;
      }
    }
    return EIO;
  }
}
