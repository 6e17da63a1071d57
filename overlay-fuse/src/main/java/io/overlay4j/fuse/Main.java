package io.overlay4j.fuse;

public final class Main {
  public static void main(String[] args) {
    System.out.println("overlay4j");
  }
}
