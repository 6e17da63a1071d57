package io.overlay4j.core.config;

/**
 * The {@code uuid=} mount option: how the overlay identifies lower filesystems in file handles
 * ({@code origin} xattrs) and which {@code f_fsid}/uuid it reports. Default {@link #AUTO}.
 * {@code uuid=on} needs an upper layer; without one the kernel falls back to {@link #NULL}, and so
 * does {@link OverlayConfig}.
 */
public enum Uuid {
  ON("on"),
  OFF("off"),
  AUTO("auto"),
  NULL("null");

  private final String optionValue;

  Uuid(String optionValue) {
    this.optionValue = optionValue;
  }

  /** The value as written after {@code uuid=}. */
  public String optionValue() {
    return optionValue;
  }
}
