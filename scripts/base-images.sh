#!/usr/bin/env bash
# Make the base images that examples and tests build on, without any registry:
# debian:bookworm through debootstrap and busybox:latest from busybox-static.
set -euo pipefail

if ! docker image inspect busybox:latest >/dev/null 2>&1; then
  workdir=$(mktemp -d)
  mkdir -p "$workdir/bin" "$workdir/tmp" "$workdir/etc"
  cp /bin/busybox "$workdir/bin/busybox"
  for applet in $("$workdir/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$workdir/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" >"$workdir/etc/passwd"
  echo "root:x:0:" >"$workdir/etc/group"
  chmod 1777 "$workdir/tmp"
  tar -C "$workdir" -c . | docker import \
    --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - busybox:latest
  rm -rf "$workdir"
fi

if ! docker image inspect debian:bookworm >/dev/null 2>&1; then
  workdir=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$workdir" http://deb.debian.org/debian >/dev/null
  tar -C "$workdir" -c . | docker import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - debian:bookworm
  rm -rf "$workdir"
fi
