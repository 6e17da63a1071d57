/**
 * The conformance harness: compares overlay4j with a reference overlay implementation.
 *
 * <ul>
 *   <li>{@link io.overlay4j.spec.LayerBuilder} writes layer directories in the kernel's on-disk
 *       format (whiteouts, opaque and xattr-whiteout markers, modes, owners, xattrs).
 *   <li>{@link io.overlay4j.spec.MountedTree} mounts something — the kernel's overlay through
 *       {@link io.overlay4j.spec.KernelOverlay}, overlay4j's FUSE mount or fuse-overlayfs
 *       through {@link io.overlay4j.spec.UserspaceOverlays} — in a private mount namespace,
 *       runs shell commands inside it and exposes it to this JVM.
 *   <li>{@link io.overlay4j.spec.TreeSnapshot} records a tree (a mount, a raw layer or upper
 *       directory, or overlay4j's merged view through its API) and diffs two of them line by
 *       line.
 * </ul>
 */
package io.overlay4j.spec;
