/**
 * The overlay's configuration: {@link io.overlay4j.core.config.OverlayConfig}, parsed from the
 * kernel's overlay mount option string ({@code lowerdir=/l1:/l2,upperdir=/u,workdir=/w,...}) or
 * built in code, checked the way the kernel checks it (fs/overlayfs/params.c and super.c) but
 * with an {@link io.overlay4j.core.config.OverlayConfigException} that names the option and the
 * problem instead of "wrong fs type, bad option".
 *
 * <p>Two steps: {@code parse}/{@code build} check syntax and how the options fit together, with
 * no filesystem access; {@code validate()} then checks the directories themselves.
 */
package io.overlay4j.core.config;
