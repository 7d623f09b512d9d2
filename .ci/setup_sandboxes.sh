#!/usr/bin/env bash
# Make the bwrap and docker sandboxes available for the tests: install bubblewrap and
# the Docker engine if missing, start an engine that needs no bridge, iptables or
# overlay support (CI's machine has none), and build the sandbox image locally.
# Idempotent: a running engine and an existing image are reused. The tests require
# both sandboxes where KERNELWRIGHT_REQUIRE_SANDBOXES lists them (.ci/run).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v dockerd >/dev/null || missing+=(docker.io)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
fi

if ! $sudo docker info >/dev/null 2>&1; then
  log="$(mktemp -t dockerd.XXXXXX.log)"
  echo "starting dockerd (log: $log)"
  # nohup and setsid: the engine outlives this script and the shell that ran it.
  $sudo setsid nohup dockerd --iptables=false --ip6tables=false --bridge=none \
    --storage-driver=vfs >"$log" 2>&1 </dev/null &
  for _ in $(seq 60); do
    $sudo docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! $sudo docker info >/dev/null 2>&1; then
    echo "dockerd did not answer within 60 s; its log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
fi

image="${KERNELWRIGHT_DOCKER_IMAGE:-kernelwright-sandbox:latest}"
if ! $sudo docker image inspect "$image" >/dev/null 2>&1; then
  $sudo "$here/scripts/make_sandbox_image.sh" "$image"
fi
