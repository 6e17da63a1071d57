#!/usr/bin/env bash
# overlay4j demo: mounts an overlay over a sample tree with overlay4j's FUSE server, shows a
# copy-up, a whiteout and an opaque directory through ordinary shell commands, shows what
# landed in upper, unmounts, and lets the kernel's own overlayfs read the same upper back.
set -euo pipefail
O4J="$1"   # the launcher
DIR="$(mktemp -d /tmp/overlay4j-demo.XXXXXX)"
M="$DIR/merged"
cleanup() {
  if grep -q " $M " /proc/self/mountinfo 2>/dev/null; then "$O4J" umount "$M" >/dev/null 2>&1 || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; eval "$@"; }

mkdir -p "$DIR"/{base,app,upper,work,merged}
# base: an "OS image" layer; app: a layer on top of it
mkdir -p "$DIR/base/etc" "$DIR/base/var/cache/pkgs" "$DIR/base/docs"
echo "greeting=hello" > "$DIR/base/etc/app.conf"
echo "base readme" > "$DIR/base/docs/README"
echo "old package" > "$DIR/base/var/cache/pkgs/old.deb"
mkdir -p "$DIR/app/docs" "$DIR/app/bin"
echo "app manual" > "$DIR/app/docs/MANUAL"
printf '#!/bin/sh\necho app\n' > "$DIR/app/bin/app"; chmod 755 "$DIR/app/bin/app"

step "Two read-only lower layers (app on top of base) and an empty upper layer"
run "find '$DIR/base' '$DIR/app' -type f | sed 's|$DIR/||' | sort"

step "Mount them with overlay4j, with the option string of mount -t overlay"
run "'$O4J' mount -o lowerdir=$DIR/app:$DIR/base,upperdir=$DIR/upper,workdir=$DIR/work '$M'"
run "grep ' $M ' /proc/self/mountinfo | sed 's/.* - //'"
run "ls -l '$M' '$M/docs'"

step "Copy-up: appending to a lower file copies it to upper first; the lower file is untouched"
run "echo 'greeting=bonjour' >> '$M/etc/app.conf'"
run "cat '$M/etc/app.conf'"
run "cat '$DIR/base/etc/app.conf'"
run "stat -c '%n inode %i' '$M/etc/app.conf'   # the lower file's inode, kept across copy-up"

step "Whiteout: deleting a lower file leaves a character device 0/0 in upper"
run "rm '$M/docs/README'"
run "ls '$M/docs'"
run "ls -l '$DIR/upper/docs'"

step "Opaque directory: a directory removed and made again hides everything below it"
run "rm -r '$M/var/cache' && mkdir '$M/var/cache' && echo fresh > '$M/var/cache/new'"
run "ls -A '$M/var/cache'"
run "getfattr -n trusted.overlay.opaque '$DIR/upper/var/cache' 2>/dev/null | grep opaque"

step "What landed in upper"
run "find '$DIR/upper' -mindepth 1 -printf '%y %M %p\n' | sed 's|$DIR/||' | sort -k3"

step "Unmount"
run "'$O4J' umount '$M'"

if [ "$(id -u)" = 0 ] && grep -qw overlay /proc/filesystems 2>/dev/null; then
  step "The kernel's overlayfs mounts the same directories and sees the same merged view"
  run "unshare -m --propagation private sh -c \"mount -t overlay overlay -o lowerdir=$DIR/app:$DIR/base,upperdir=$DIR/upper,workdir=$DIR/work '$M' && cat '$M/etc/app.conf' && ls '$M/docs' '$M/var/cache' && umount '$M'\""
fi
printf '\noverlay4j demo: done.\n'
