package io.overlay4j.spec.model;

/** What an operation returned: success, or the errno it failed with (by name, e.g. ENOENT). */
public record Outcome(String errno) {
  public static final Outcome OK = new Outcome(null);

  public static Outcome fail(String errno) {
    return new Outcome(errno);
  }

  /** 0 for success, else the errno number's name. */
  public static Outcome ofErrno(int errno) {
    return errno == 0 ? OK : new Outcome(Errnos.name(errno));
  }

  public boolean ok() {
    return errno == null;
  }

  @Override
  public String toString() {
    return ok() ? "ok" : errno;
  }
}
