package io.overlay4j.core;

import java.io.IOException;

/**
 * A failed overlay operation. Carries the errno the kernel would report for it, so that an
 * adapter (FUSE, NIO) can translate it without deciding semantics of its own.
 */
public class OverlayException extends IOException {
  private static final long serialVersionUID = 1L;

  private final Errno errno;
  private final String path;

  public OverlayException(Errno errno, String path, String message) {
    super(format(errno, path, message));
    this.errno = errno;
    this.path = path;
  }

  public OverlayException(Errno errno, String path, String message, Throwable cause) {
    super(format(errno, path, message), cause);
    this.errno = errno;
    this.path = path;
  }

  public OverlayException(Errno errno, String path) {
    this(errno, path, null);
  }

  public Errno errno() {
    return errno;
  }

  /** The overlay path the operation was about, or {@code null}. */
  public String path() {
    return path;
  }

  private static String format(Errno errno, String path, String message) {
    StringBuilder sb = new StringBuilder(errno.name());
    if (path != null) {
      sb.append(": ").append(path);
    }
    if (message != null && !message.isEmpty()) {
      sb.append(": ").append(message);
    }
    return sb.toString();
  }
}
