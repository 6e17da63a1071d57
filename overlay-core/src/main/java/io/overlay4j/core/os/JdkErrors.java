package io.overlay4j.core.os;

import io.overlay4j.core.Errno;
import io.overlay4j.core.OverlayException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.util.Map;

/**
 * Turns the JDK's file exceptions back into the errno the system call gave. The JDK keeps only
 * the {@code strerror} text of most errors, so the rest are matched by that text.
 */
public final class JdkErrors {
  private JdkErrors() {}

  /** An {@link OverlayException} with the errno behind {@code e} (itself if it is one). */
  public static OverlayException translate(IOException e, String path) {
    if (e instanceof OverlayException oe) {
      return oe;
    }
    return new OverlayException(errnoOf(e), path, e.getMessage(), e);
  }

  /** The errno behind a JDK file-system exception: by type, else by its strerror text. */
  public static Errno errnoOf(IOException e) {
    if (e instanceof NoSuchFileException) {
      return Errno.ENOENT;
    }
    if (e instanceof FileAlreadyExistsException) {
      return Errno.EEXIST;
    }
    if (e instanceof DirectoryNotEmptyException) {
      return Errno.ENOTEMPTY;
    }
    if (e instanceof AccessDeniedException) {
      return Errno.EACCES;
    }
    if (e instanceof NotDirectoryException) {
      return Errno.ENOTDIR;
    }
    if (e instanceof NotLinkException) {
      return Errno.EINVAL;
    }
    if (e instanceof FileSystemLoopException) {
      return Errno.ELOOP;
    }
    if (e instanceof AtomicMoveNotSupportedException) {
      return Errno.EXDEV;
    }
    String reason = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
    if (reason != null) {
      for (Map.Entry<String, Errno> m : REASONS.entrySet()) {
        if (reason.contains(m.getKey())) {
          return m.getValue();
        }
      }
    }
    return Errno.EIO;
  }

  /** glibc's strerror texts (C locale) for the errnos the overlay tells apart. */
  private static final Map<String, Errno> REASONS =
      Map.ofEntries(
          Map.entry("Operation not permitted", Errno.EPERM),
          Map.entry("No such file or directory", Errno.ENOENT),
          Map.entry("Permission denied", Errno.EACCES),
          Map.entry("File exists", Errno.EEXIST),
          Map.entry("Invalid cross-device link", Errno.EXDEV),
          Map.entry("Not a directory", Errno.ENOTDIR),
          Map.entry("Is a directory", Errno.EISDIR),
          Map.entry("Invalid argument", Errno.EINVAL),
          Map.entry("No space left on device", Errno.ENOSPC),
          Map.entry("Read-only file system", Errno.EROFS),
          Map.entry("Numerical result out of range", Errno.ERANGE),
          Map.entry("File name too long", Errno.ENAMETOOLONG),
          Map.entry("Directory not empty", Errno.ENOTEMPTY),
          Map.entry("Too many levels of symbolic links", Errno.ELOOP),
          Map.entry("No data available", Errno.ENODATA),
          Map.entry("Operation not supported", Errno.EOPNOTSUPP),
          Map.entry("Disk quota exceeded", Errno.EDQUOT),
          Map.entry("Device or resource busy", Errno.EBUSY),
          Map.entry("Too many links", Errno.EMLINK),
          Map.entry("Argument list too long", Errno.E2BIG),
          Map.entry("Text file busy", Errno.ETXTBSY),
          Map.entry("Stale file handle", Errno.ESTALE),
          Map.entry("Input/output error", Errno.EIO));
}
