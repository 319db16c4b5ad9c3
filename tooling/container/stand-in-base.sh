#!/usr/bin/env bash
# Builds a stand-in for node:20-bookworm-slim where no image registry is reachable, from Debian
# packages and this machine's Node, and imports it into podman as IMAGE:
#
#   tooling/container/stand-in-base.sh localhost/bond-base:v20.20.2
#   podman build --build-arg BASE_IMAGE=localhost/bond-base:v20.20.2 -f deploy/container/Dockerfile .
#
# The image is Debian bookworm (mmdebstrap minbase, ca-certificates; no docs, man pages or
# locales) with Node laid out as the official image has it: node, npm and npx in /usr/local/bin,
# npm in /usr/local/lib/node_modules, the headers (for node-gyp) in /usr/local/include/node. It
# trusts what this machine trusts (its CA bundle, also through NODE_EXTRA_CA_CERTS), so a build
# behind this machine's TLS-inspecting proxy reaches the npm registry. Needs root, mmdebstrap and
# podman; the Debian mirror must be reachable. Takes about 30 to 90 s.
set -euo pipefail

image=${1:?usage: stand-in-base.sh IMAGE}
node=$(readlink -f "$(command -v node)")
prefix=$(dirname "$(dirname "$node")")
npm_dir=$prefix/lib/node_modules/npm
headers=$prefix/include/node
for needed in "$npm_dir" "$headers" /etc/ssl/certs/ca-certificates.crt; do
  [ -e "$needed" ] || { echo "stand-in-base: $needed not found" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mmdebstrap --quiet --variant=minbase --include=ca-certificates,passwd \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='mkdir -p "$1/usr/local/bin" "$1/usr/local/lib/node_modules" "$1/usr/local/include"' \
  --customize-hook="copy-in $node /usr/local/bin" \
  --customize-hook="copy-in $npm_dir /usr/local/lib/node_modules" \
  --customize-hook="copy-in $headers /usr/local/include" \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
  --customize-hook='copy-in /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  bookworm "$work/base.tar"

podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  "$work/base.tar" "$image" >/dev/null
echo "stand-in-base: $image ($("$node" --version), Debian bookworm)"
