#!/usr/bin/env bash
# Makes the image the Dockerfile's FROM names (node:24-bookworm-slim) where no container registry
# can be reached: a minimal Debian bookworm root filesystem (debootstrap), the Node 24 binary of
# the npm `node` package this repository installs, npm, the system's CA bundle and a `node` user
# (uid 1000), imported as an image. Reused while it exists. Needs root, debootstrap and Docker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

image=${NODE_IMAGE:-node:24-bookworm-slim}
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image: present"
  exit 0
fi
node_bin=node_modules/node/bin/node
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
[ -x "$node_bin" ] || { echo "no $node_bin: run npm ci first" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
echo "base image $image: debootstrap bookworm into $root"
debootstrap --variant=minbase bookworm "$root" >/dev/null
install -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules" "$root/etc/ssl/certs"
cp -r "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
chroot "$root" useradd --uid 1000 --create-home --shell /bin/sh node
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  - "$image" >/dev/null
echo "base image $image: made (node $("$node_bin" --version))"
