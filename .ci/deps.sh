#!/usr/bin/env bash
# Installs what inframap needs on Debian, when it is missing:
#   .ci/deps.sh run   PostgreSQL 15 with PostGIS 3 and GDAL (for `make run`)
#   .ci/deps.sh test  also Chromium, Node and npm, a CJK font, GDAL, exiftool and HAProxy (for `make test`),
#                     and the docker compose CLI plugin when the docker CLI is there without it
#   .ci/deps.sh cluster  also HAProxy (for `make cluster` and `make cluster-test`)
set -euo pipefail
what=${1:-run}

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; fi
fi

need=()
have_postgis() { ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }
have_postgis || need+=(postgresql-15-postgis-3 postgresql-contrib)
# GDAL's ogr2ogr and ogrinfo read the imports of shapefiles, geodatabases,
# GeoPackages, KML, DXF and GML (optional at run time: without them those
# imports answer 503 naming gdal-bin).
command -v ogr2ogr >/dev/null || need+=(gdal-bin)
if [ "$what" = bench ]; then
  command -v wrk >/dev/null || need+=(wrk)
fi
if [ "$what" = test ] || [ "$what" = cluster ]; then
  # The load balancer in front of the copies in the cluster test.
  command -v haproxy >/dev/null || need+=(haproxy)
fi
if [ "$what" = test ]; then
  command -v chromium >/dev/null || need+=(chromium)
  command -v npm >/dev/null || need+=(nodejs npm)
  fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
  command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] && [ -z "$sudo" ]; then
    echo "missing packages: ${need[*]}; install them with: apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# The test of docker-compose.yml runs `docker compose config` where the
# docker CLI exists (no engine needed). Debian has no compose v2 plugin:
# build the pinned release from the Go module proxy when it is missing.
if [ "$what" = test ] && command -v docker >/dev/null && ! docker compose version >/dev/null 2>&1; then
  compose=v2.40.3
  go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  echo "building the docker compose plugin $compose from the Go module proxy"
  work=$(mktemp -d)
  # Outside any module, so the checkout's go.mod and go.sum stay as they are.
  src=$(cd "$work" && "$go" mod download -json "github.com/docker/compose/v2@$compose" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  mkdir -p "$HOME/.docker/cli-plugins"
  (cd "$work" && "$go" build -trimpath -o "$HOME/.docker/cli-plugins/docker-compose" ./cmd)
  rm -rf "$work"
  docker compose version
fi

# The tests keep photos in a real S3-compatible store: SeaweedFS's weed,
# built from the Go module proxy at a pinned version (its go.mod has replace
# directives, so `go install pkg@version` refuses it: it is built inside its
# module). Once built it stays in GOPATH/bin. The cluster test uses it too.
if [ "$what" = test ] || [ "$what" = cluster ]; then
  weed_version=v0.0.0-20261109003541-7506e5f91cd6
  go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  gobin=$("$go" env GOPATH)/bin
  if [ ! -x "$gobin/weed" ] || [ "$(cat "$gobin/weed.version" 2>/dev/null)" != "$weed_version" ]; then
    echo "building SeaweedFS weed $weed_version (the S3 store of the tests; a few minutes, once)"
    src=$(cd / && "$go" mod download -json "github.com/seaweedfs/seaweedfs@$weed_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    (cd "$src" && GOFLAGS=-mod=mod "$go" build -o "$gobin/weed" ./weed)
    echo "$weed_version" >"$gobin/weed.version"
  fi
fi
