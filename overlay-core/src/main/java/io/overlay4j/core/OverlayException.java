package io.overlay4j.core;

import java.io.IOException;

/**
 * A failed overlay operation. Carries the errno the kernel would report for it, so that an
 * adapter (FUSE, NIO) can translate it without deciding semantics of its own.
 */
public class OverlayException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Whether these exceptions record a stack trace. An errno is an answer, not a bug: ENOENT and
   * ENODATA are how most lookups and xattr reads of a busy mount end, and a stack trace costs
   * more than the lookup. {@code -Doverlay4j.stackTraces=true} records them for debugging.
   */
  private static final boolean STACK_TRACES = Boolean.getBoolean("overlay4j.stackTraces");

  private final Errno errno;
  private final String path;

  public OverlayException(Errno errno, String path, String message) {
    this(errno, path, message, null);
  }

  public OverlayException(Errno errno, String path, String message, Throwable cause) {
    super(format(errno, path, message), cause);
    this.errno = errno;
    this.path = path;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return STACK_TRACES ? super.fillInStackTrace() : this;
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
