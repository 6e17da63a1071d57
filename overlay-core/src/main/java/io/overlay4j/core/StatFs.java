package io.overlay4j.core;

/** File system figures ({@code statfs(2)}), taken from the upper layer as the kernel does. */
public record StatFs(
    long blockSize,
    long fragmentSize,
    long blocks,
    long blocksFree,
    long blocksAvailable,
    long files,
    long filesFree,
    long nameMax,
    long type) {

  /** {@code f_type} of an overlay: OVERLAYFS_SUPER_MAGIC. */
  public static final long OVERLAYFS_SUPER_MAGIC = 0x794c7630L;
}
