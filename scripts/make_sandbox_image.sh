#!/usr/bin/env bash
# Build the Docker sandbox's image locally, with no registry: an almost empty root
# filesystem (mount points, a passwd and group file, the host's top-level symlinks)
# made into an image with `docker import`. Python, the venv, kernelwright's source and
# the system libraries come from the host at run time, bind-mounted read-only by the
# docker backend (sandbox/isolation.py), so the image never goes stale.
#
# Usage: scripts/make_sandbox_image.sh [IMAGE]   (default: $KERNELWRIGHT_DOCKER_IMAGE or
#        kernelwright-sandbox:latest)
set -euo pipefail

image="${1:-${KERNELWRIGHT_DOCKER_IMAGE:-kernelwright-sandbox:latest}}"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{etc,tmp,proc,sys,dev,usr,root}
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
  >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
tar -C "$root" --numeric-owner -c . |
  docker import --message "kernelwright sandbox root (host Python mounted at run time)" - "$image" \
    >/dev/null
echo "built $image"
