package io.overlay4j.nio;

import java.nio.file.CopyOption;

/**
 * {@code renameat2} flags for {@link java.nio.file.Files#move} within one overlay: with one of
 * them the move is exactly one {@code renameat2} with that flag, nothing else (no copy, no
 * same-file check). {@code Files.copy} refuses them.
 */
public enum OverlayCopyOption implements CopyOption {
  /** {@code RENAME_NOREPLACE}: atomically fail with FileAlreadyExistsException if the target exists. */
  NOREPLACE(1),
  /** {@code RENAME_EXCHANGE}: atomically swap source and target, which must both exist. */
  EXCHANGE(2),
  /**
   * {@code RENAME_WHITEOUT}: leave a whiteout at the source. Overlayfs refuses it (EINVAL, as
   * the kernel's does); the flag exists so that every {@code renameat2} call can be expressed.
   */
  WHITEOUT(4);

  private final int flag;

  OverlayCopyOption(int flag) {
    this.flag = flag;
  }

  /** The {@code renameat2} flag bit. */
  public int flag() {
    return flag;
  }
}
