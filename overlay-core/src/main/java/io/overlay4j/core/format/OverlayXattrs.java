package io.overlay4j.core.format;

import java.nio.charset.StandardCharsets;

/**
 * The overlay's private extended attributes: {@code trusted.overlay.*}, or
 * {@code user.overlay.*} under {@code userxattr}. Private names are hidden from the merged
 * view; a caller's own {@code trusted.overlay.X} is stored escaped as
 * {@code trusted.overlay.overlay.X}, as the kernel does.
 */
public final class OverlayXattrs {
  public static final OverlayXattrs TRUSTED = new OverlayXattrs("trusted.overlay.");
  public static final OverlayXattrs USER = new OverlayXattrs("user.overlay.");

  /** The value of the opaque attribute on a directory that cuts its lower layers. */
  public static final byte[] OPAQUE_YES = {'y'};
  /** The value of the opaque attribute on a directory that holds xattr whiteouts. */
  public static final byte[] OPAQUE_XWHITEOUTS = {'x'};

  private final String prefix;
  private final String escapedPrefix;

  private OverlayXattrs(String prefix) {
    this.prefix = prefix;
    this.escapedPrefix = prefix + "overlay.";
  }

  public static OverlayXattrs of(boolean userXattr) {
    return userXattr ? USER : TRUSTED;
  }

  public String prefix() {
    return prefix;
  }

  public String opaque() {
    return prefix + "opaque";
  }

  public String whiteout() {
    return prefix + "whiteout";
  }

  public String origin() {
    return prefix + "origin";
  }

  public String redirect() {
    return prefix + "redirect";
  }

  public String metacopy() {
    return prefix + "metacopy";
  }

  public String impure() {
    return prefix + "impure";
  }

  /** Whether a stored attribute name is the overlay's own (hidden, unless it is escaped). */
  public boolean isPrivate(String storedName) {
    return storedName.startsWith(prefix) && !storedName.startsWith(escapedPrefix);
  }

  /** The name a stored attribute shows under in the merged view, or null when it is hidden. */
  public String toVisible(String storedName) {
    if (storedName.startsWith(escapedPrefix)) {
      return prefix + storedName.substring(escapedPrefix.length());
    }
    return storedName.startsWith(prefix) ? null : storedName;
  }

  /** The name under which a caller's attribute is stored. */
  public String toStored(String visibleName) {
    return visibleName.startsWith(prefix)
        ? escapedPrefix + visibleName.substring(prefix.length())
        : visibleName;
  }

  /** Whether an opaque attribute value means "opaque" ({@code y}). */
  public static boolean isOpaqueValue(byte[] value) {
    return value != null && value.length >= 1 && value[0] == 'y';
  }

  /** Whether an opaque attribute value marks a directory holding xattr whiteouts ({@code x}). */
  public static boolean holdsXattrWhiteouts(byte[] value) {
    return value != null && value.length >= 1 && value[0] == 'x';
  }

  /** Decodes a redirect attribute's value. */
  public static String redirectTarget(byte[] value) {
    return new String(value, StandardCharsets.UTF_8);
  }
}
