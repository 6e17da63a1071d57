package io.overlay4j.core.format;

/**
 * The OCI image (AUFS) whiteout vocabulary: a file {@code .wh.NAME} hides {@code NAME} in the
 * layers below, and a file {@code .wh..wh..opq} makes its directory opaque. Read when the
 * overlay is configured with {@code whiteout=oci}; written by the pure-JDK fallback.
 */
public final class OciWhiteouts {
  public static final String PREFIX = ".wh.";
  public static final String OPAQUE_MARKER = ".wh..wh..opq";

  private OciWhiteouts() {}

  /** Whether a directory entry is OCI vocabulary rather than a user's file. */
  public static boolean isMarker(String name) {
    return name.startsWith(PREFIX);
  }

  /** The name a {@code .wh.NAME} entry hides, or null for the opaque marker and other names. */
  public static String hiddenName(String name) {
    if (!name.startsWith(PREFIX) || name.equals(OPAQUE_MARKER)) {
      return null;
    }
    String hidden = name.substring(PREFIX.length());
    return hidden.isEmpty() ? null : hidden;
  }

  public static String whiteoutFor(String name) {
    return PREFIX + name;
  }
}
