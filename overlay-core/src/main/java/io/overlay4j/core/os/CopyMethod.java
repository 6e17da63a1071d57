package io.overlay4j.core.os;

/** How {@link OsAccess#copyFileData} moved the bytes, so benchmarks can report it. */
public enum CopyMethod {
  /** {@code ioctl(FICLONE)}: a reflink, sharing extents (btrfs, xfs, bcachefs...). */
  CLONE,
  /** {@code copy_file_range(2)}: an in-kernel copy, possibly server-side or reflinked. */
  COPY_FILE_RANGE,
  /** Bytes passed through user space (or the JDK's own channel transfer). */
  READ_WRITE
}
