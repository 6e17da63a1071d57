package io.overlay4j.core.config;

/**
 * The on-disk form overlay4j writes for whiteouts and opaque directories (overlay4j extension
 * option {@code whiteout=kernel|oci}). Both forms are always <em>read</em>; this only chooses
 * what is written to the upper layer.
 */
public enum WhiteoutFormat {
  /**
   * The kernel's form (default): a whiteout is a character device 0/0, an opaque directory
   * carries {@code trusted.overlay.opaque="y"} ({@code user.overlay.*} under {@code userxattr}).
   * An upper layer written this way mounts under the kernel's overlayfs.
   */
  KERNEL("kernel"),
  /**
   * The OCI image-layer / AUFS form: a whiteout is an empty regular file {@code .wh.<name>}, an
   * opaque directory contains {@code .wh..wh..opq}. Needs no privileges (no mknod, no trusted
   * xattrs), but the kernel's overlayfs does not understand it.
   */
  OCI("oci");

  private final String optionValue;

  WhiteoutFormat(String optionValue) {
    this.optionValue = optionValue;
  }

  /** The value as written after {@code whiteout=}. */
  public String optionValue() {
    return optionValue;
  }
}
