package io.overlay4j.core.config;

/**
 * The {@code redirect_dir=} mount option: whether renaming a lower or merged directory creates a
 * {@code redirect} xattr, and whether lookup follows existing ones.
 *
 * <p>On the reference machine the kernel module is built with {@code redirect_dir=N} and
 * {@code redirect_always_follow=Y}, so the default is {@link #FOLLOW}, and {@link #OFF} behaves
 * exactly like {@link #FOLLOW} (the kernel stores {@code off} as {@code follow} in that
 * configuration). overlay4j keeps {@code OFF} distinct only so messages and
 * {@link OverlayConfig#toOptionString()} show what the user wrote; use {@link #follows()} and
 * {@link #creates()} for behaviour.
 */
public enum RedirectDir {
  /** Create redirects on directory rename and follow them on lookup. */
  ON("on"),
  /** Follow existing redirects, do not create new ones (directory rename gives EXDEV). */
  FOLLOW("follow"),
  /** Neither create nor follow redirects; a redirected directory fails lookup with EPERM. */
  NOFOLLOW("nofollow"),
  /** Do not create redirects; follows them like {@link #FOLLOW} (redirect_always_follow=Y). */
  OFF("off");

  private final String optionValue;

  RedirectDir(String optionValue) {
    this.optionValue = optionValue;
  }

  /** The value as written after {@code redirect_dir=}. */
  public String optionValue() {
    return optionValue;
  }

  /** Whether renaming a lower or merged directory creates a redirect (only {@link #ON}). */
  public boolean creates() {
    return this == ON;
  }

  /** Whether lookup follows redirects it finds (all but {@link #NOFOLLOW}). */
  public boolean follows() {
    return this != NOFOLLOW;
  }
}
