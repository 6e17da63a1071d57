package io.overlay4j.core.format;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The value of {@code trusted.overlay.origin}: the kernel's {@code struct ovl_fb}, a file handle
 * of the lower object an upper object was copied from.
 *
 * <pre>
 *   u8 version (0), u8 magic (0xfb), u8 len (whole struct), u8 flags, u8 type,
 *   u8 uuid[16] (the lower file system's s_uuid), u8 fid[] (exportfs handle of type {@code type})
 * </pre>
 *
 * Flags: bit 0 big-endian (OVL_FH_FLAG_BIG_ENDIAN), bit 1 any-endian, bit 2 "the origin is the
 * upper" (never here).
 */
public record OriginHandle(int type, byte[] uuid, byte[] fid) {
  private static final int MAGIC = 0xfb;
  private static final int HEADER = 5 + 16;
  private static final int FLAG_BIG_ENDIAN = 1;

  public OriginHandle {
    if (uuid.length != 16) {
      throw new IllegalArgumentException("uuid must be 16 bytes");
    }
    uuid = uuid.clone();
    fid = fid.clone();
  }

  public byte[] encode() {
    byte[] out = new byte[HEADER + fid.length];
    out[0] = 0;
    out[1] = (byte) MAGIC;
    out[2] = (byte) out.length;
    out[3] = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? (byte) FLAG_BIG_ENDIAN : 0;
    out[4] = (byte) type;
    System.arraycopy(uuid, 0, out, 5, 16);
    System.arraycopy(fid, 0, out, HEADER, fid.length);
    return out;
  }

  /** Decodes a stored value; null when it is not a well-formed ovl_fb. */
  public static OriginHandle decode(byte[] value) {
    if (value == null || value.length < HEADER || value[0] != 0 || (value[1] & 0xff) != MAGIC) {
      return null;
    }
    int len = value[2] & 0xff;
    if (len < HEADER || len > value.length) {
      return null;
    }
    return new OriginHandle(value[4] & 0xff, Arrays.copyOfRange(value, 5, HEADER),
        Arrays.copyOfRange(value, HEADER, len));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OriginHandle h && h.type == type && Arrays.equals(h.uuid, uuid)
        && Arrays.equals(h.fid, fid);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * type + Arrays.hashCode(uuid)) + Arrays.hashCode(fid);
  }

  @Override
  public byte[] uuid() {
    return uuid.clone();
  }

  @Override
  public byte[] fid() {
    return fid.clone();
  }
}
