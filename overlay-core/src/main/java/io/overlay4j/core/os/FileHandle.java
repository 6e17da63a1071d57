package io.overlay4j.core.os;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An opaque file handle from {@code name_to_handle_at(2)}: the handle type, the filesystem's
 * file id bytes and the mount id it was taken on. The kernel overlay stores (type, fid) with the
 * lower filesystem's UUID in {@code trusted.overlay.origin}.
 *
 * <p>The byte array is copied in and out, so a handle is immutable and compares by content.
 */
public record FileHandle(int type, byte[] fid, int mountId) {
  public FileHandle {
    fid = fid.clone();
  }

  @Override
  public byte[] fid() {
    return fid.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FileHandle h
        && h.type == type
        && h.mountId == mountId
        && Arrays.equals(h.fid, fid);
  }

  @Override
  public int hashCode() {
    return (31 * type + mountId) * 31 + Arrays.hashCode(fid);
  }

  @Override
  public String toString() {
    return "FileHandle[type=" + type + ", fid=" + HexFormat.of().formatHex(fid)
        + ", mountId=" + mountId + "]";
  }
}
