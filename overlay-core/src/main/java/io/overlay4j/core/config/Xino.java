package io.overlay4j.core.config;

/**
 * The {@code xino=} mount option: whether inode numbers from layers on different filesystems
 * are made unique by putting the layer's fsid in the high bits. Default here: {@link #OFF}
 * (kernel module parameter {@code xino_auto=N}). Irrelevant when all layers share one
 * filesystem: then real inode numbers are used unchanged.
 */
public enum Xino {
  ON("on"),
  OFF("off"),
  AUTO("auto");

  private final String optionValue;

  Xino(String optionValue) {
    this.optionValue = optionValue;
  }

  /** The value as written after {@code xino=}. */
  public String optionValue() {
    return optionValue;
  }
}
