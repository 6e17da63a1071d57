package io.overlay4j.spec.model;

import java.util.Map;

/** Linux errno names and numbers (the generic ones, shared by x86_64 and aarch64). */
public final class Errnos {
  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(5, "EIO"), Map.entry(6, "ENXIO"),
      Map.entry(9, "EBADF"), Map.entry(11, "EAGAIN"), Map.entry(12, "ENOMEM"),
      Map.entry(13, "EACCES"), Map.entry(16, "EBUSY"), Map.entry(17, "EEXIST"),
      Map.entry(18, "EXDEV"), Map.entry(19, "ENODEV"), Map.entry(20, "ENOTDIR"),
      Map.entry(21, "EISDIR"), Map.entry(22, "EINVAL"), Map.entry(26, "ETXTBSY"),
      Map.entry(27, "EFBIG"), Map.entry(28, "ENOSPC"), Map.entry(30, "EROFS"),
      Map.entry(31, "EMLINK"), Map.entry(34, "ERANGE"), Map.entry(36, "ENAMETOOLONG"),
      Map.entry(38, "ENOSYS"), Map.entry(39, "ENOTEMPTY"), Map.entry(40, "ELOOP"),
      Map.entry(61, "ENODATA"), Map.entry(75, "EOVERFLOW"), Map.entry(95, "EOPNOTSUPP"),
      Map.entry(116, "ESTALE"), Map.entry(122, "EDQUOT"), Map.entry(4, "EINTR"),
      Map.entry(7, "E2BIG"), Map.entry(14, "EFAULT"), Map.entry(24, "EMFILE"),
      Map.entry(25, "ENOTTY"), Map.entry(29, "ESPIPE"), Map.entry(32, "EPIPE"),
      Map.entry(71, "EPROTO"), Map.entry(74, "EBADMSG"), Map.entry(84, "EILSEQ"),
      Map.entry(103, "ECONNABORTED"), Map.entry(107, "ENOTCONN"), Map.entry(110, "ETIMEDOUT"),
      Map.entry(125, "ECANCELED"));

  private Errnos() {}

  /** The symbolic name of an errno number ({@code E123} for one not listed). */
  public static String name(int errno) {
    return NAMES.getOrDefault(errno, "E" + errno);
  }
}
