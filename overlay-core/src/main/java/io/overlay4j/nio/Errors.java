package io.overlay4j.nio;

import io.overlay4j.core.Errno;
import io.overlay4j.core.OverlayException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * The core's errnos as the JDK's exceptions, the way the JDK's Unix provider maps them
 * ({@code sun.nio.fs.UnixException}): ENOENT is a {@link NoSuchFileException}, EEXIST a {@link
 * FileAlreadyExistsException}, EACCES an {@link AccessDeniedException} (EPERM is a
 * FileSystemException "Operation not permitted", as the JDK 17 makes it), ENOTEMPTY a {@link
 * DirectoryNotEmptyException}; the operations where the JDK throws {@link
 * NotDirectoryException} or {@link NotLinkException} ask for them. Everything else is a {@link
 * FileSystemException} whose reason is glibc's {@code strerror} text. The core's {@link
 * OverlayException} is always the cause, so {@link #errnoOf} gives the errno back.
 */
final class Errors {
  private Errors() {}

  static FileSystemException translate(OverlayException e, String file, String other) {
    FileSystemException x = switch (e.errno()) {
      case ENOENT -> new NoSuchFileException(file, other, null);
      case EEXIST -> new FileAlreadyExistsException(file, other, null);
      case EACCES -> new AccessDeniedException(file, other, null);
      case ENOTEMPTY -> new DirectoryNotEmptyException(file);
      case ELOOP -> new FileSystemException(file, other, strerror(Errno.ELOOP)
          + " or unable to access attributes of symbolic link");
      default -> new FileSystemException(file, other, strerror(e.errno()));
    };
    x.initCause(e);
    return x;
  }

  /** An exception for an errno the provider found itself (checks the JDK makes before a call). */
  static FileSystemException of(Errno errno, String file, String other) {
    return translate(new OverlayException(errno, file), file, other);
  }

  /** Attaches the errno to an exception of a kind the translation does not choose by itself. */
  static <X extends FileSystemException> X withErrno(X x, Errno errno, String file) {
    x.initCause(new OverlayException(errno, file));
    return x;
  }

  /**
   * The errno behind an exception the provider threw: the core's, or the one the provider
   * checked for. Empty for exceptions that did not come from an errno.
   */
  static java.util.Optional<Errno> errnoOf(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof OverlayException oe) {
        return java.util.Optional.of(oe.errno());
      }
    }
    return java.util.Optional.empty();
  }

  /** glibc's strerror text for the errnos the core reports. */
  static String strerror(Errno e) {
    return switch (e) {
      case EPERM -> "Operation not permitted";
      case ENOENT -> "No such file or directory";
      case EIO -> "Input/output error";
      case ENXIO -> "No such device or address";
      case E2BIG -> "Argument list too long";
      case EBADF -> "Bad file descriptor";
      case EAGAIN -> "Resource temporarily unavailable";
      case ENOMEM -> "Cannot allocate memory";
      case EACCES -> "Permission denied";
      case EBUSY -> "Device or resource busy";
      case EEXIST -> "File exists";
      case EXDEV -> "Invalid cross-device link";
      case ENODEV -> "No such device";
      case ENOTDIR -> "Not a directory";
      case EISDIR -> "Is a directory";
      case EINVAL -> "Invalid argument";
      case ENFILE -> "Too many open files in system";
      case EMFILE -> "Too many open files";
      case ETXTBSY -> "Text file busy";
      case EFBIG -> "File too large";
      case ENOSPC -> "No space left on device";
      case ESPIPE -> "Illegal seek";
      case EROFS -> "Read-only file system";
      case EMLINK -> "Too many links";
      case ERANGE -> "Numerical result out of range";
      case ENAMETOOLONG -> "File name too long";
      case ENOSYS -> "Function not implemented";
      case ENOTEMPTY -> "Directory not empty";
      case ELOOP -> "Too many levels of symbolic links";
      case ENODATA -> "No data available";
      case EILSEQ -> "Invalid or incomplete multibyte or wide character";
      case EOVERFLOW -> "Value too large for defined data type";
      case EOPNOTSUPP -> "Operation not supported";
      case EDQUOT -> "Disk quota exceeded";
      case ESTALE -> "Stale file handle";
    };
  }
}
