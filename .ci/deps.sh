#!/usr/bin/env bash
# Installs what inframap needs on Debian, when it is missing:
#   .ci/deps.sh run   PostgreSQL 15 with PostGIS 3 and GDAL (for `make run`)
#   .ci/deps.sh test  also Chromium, Node and npm, a CJK font, GDAL and exiftool (for `make test`)
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
