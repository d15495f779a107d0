#!/usr/bin/env bash
# Docker Compose v2+ as a CLI plugin, built from its pinned Go module (no binary download):
# `go install` refuses the module (its go.mod has exclude directives), so the module is downloaded
# through the Go module proxy, copied to a writable folder and built there. Cached by version.
#   usage: build-compose.sh [PLUGIN_DIR]     (default ~/.docker/cli-plugins)
set -euo pipefail
VERSION=v5.6.0
MODULE=github.com/docker/compose/v5
plugin_dir=${1:-${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins}
cache=${BPBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bpbench}/compose
binary=$cache/docker-compose-$VERSION

if [ ! -x "$binary" ]; then
  command -v go >/dev/null 2>&1 || { echo "error: building Compose needs Go (apt-get install golang-go, or go.dev)" >&2; exit 2; }
  start=$(date +%s)
  dir=$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "error: go mod download $MODULE@$VERSION printed no folder" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
  cp -r "$dir/." "$work/"
  chmod -R u+w "$work"
  mkdir -p "$cache"
  (cd "$work" && CGO_ENABLED=0 go build -trimpath \
     -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$VERSION" \
     -o "$binary.partial" ./cmd)
  mv "$binary.partial" "$binary"
  echo "built Docker Compose $VERSION in $(( $(date +%s) - start )) s" >&2
fi
mkdir -p "$plugin_dir"
install -m 0755 "$binary" "$plugin_dir/docker-compose"
echo "Docker Compose $VERSION installed as $plugin_dir/docker-compose" >&2
