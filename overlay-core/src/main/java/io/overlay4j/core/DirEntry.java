package io.overlay4j.core;

/** One entry of a merged directory listing: its name, type and the inode number stat reports. */
public record DirEntry(String name, FileType type, long ino) {}
