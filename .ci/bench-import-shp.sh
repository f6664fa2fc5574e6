#!/usr/bin/env bash
# Benchmark (not a test): a zipped shapefile of N manholes (default
# 1,000,000) in CGCS2000 Gauss–Krüger 126°E with GBK text, made by ogr2ogr
# from a streamed GeoJSON sequence, imported over HTTP into `inframap serve
# -demo`; prints the time and the service's peak RSS (VmHWM). Usage:
#   .ci/bench-import-shp.sh [N]
set -euo pipefail
n=${1:-1000000}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=0
go build -o "$work/inframap" ./cmd/inframap

# The features: manholes on a grid inside the district, 16-digit codes
# spread over the cover categories (each has a million serials).
python3 - "$n" > "$work/m.geojsonl" <<'PY'
import json, sys
n = int(sys.argv[1])
cats = ["0101", "0102", "0103", "0105", "0107"]
roads = ["景阳大路", "西安大路", "皓月大路", "西环城路", "飞跃路"]
w = sys.stdout.write
for i in range(n):
    cat = cats[i % 5]
    lon = 125.20 + (i % 1000) * 0.00007
    lat = 43.865 + (i // 1000) * 0.00003 / (n / 1e6)
    w(json.dumps({"type": "Feature", "properties": {
        "code": "220106%s%06d" % (cat, i // 5), "kind": "manhole", "name": "井盖%d（%s）" % (i, roads[i % 5]),
        "cover_category": cat, "load_class": "D400", "road": roads[i % 5]},
        "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}}, ensure_ascii=False) + "\n")
PY
mkdir "$work/shp"
t0=$(date +%s.%N)
ogr2ogr -f "ESRI Shapefile" -t_srs EPSG:4551 -lco ENCODING=CP936 -lco RESIZE=YES -s_srs EPSG:4326 \
  "$work/shp/manhole.shp" "$work/m.geojsonl" 2>/dev/null
(cd "$work/shp" && zip -q -1 ../manhole.zip manhole.*)
echo "made $n features in $(echo "$(date +%s.%N) - $t0" | bc) s: $(du -h "$work/manhole.zip" | cut -f1) zipped, $(du -ch "$work"/shp/* | tail -1 | cut -f1) unpacked"
rm "$work/m.geojsonl"

export INFRAMAP_DATA_DIR="$work/var" INFRAMAP_ADDR=127.0.0.1:18399 INFRAMAP_DEMO_PASSWORD=bench-password-1
"$work/inframap" serve -demo >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -sf http://127.0.0.1:18399/readyz >/dev/null && break; sleep 1; done
tok=$(curl -sf -X POST http://127.0.0.1:18399/api/v1/auth/tokens -H 'Content-Type: application/json' \
  -d '{"email":"engineer@demo","password":"bench-password-1","name":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
before=$(grep VmHWM /proc/$pid/status)
for dry in true false; do
  t0=$(date +%s.%N)
  code=$(curl -s -o "$work/answer.json" -w '%{http_code}' -X POST "http://127.0.0.1:18399/api/v1/import?format=shp&dry_run=$dry" \
    -H "Authorization: Bearer $tok" --data-binary @"$work/manhole.zip")
  t1=$(date +%s.%N)
  echo "dry_run=$dry: HTTP $code in $(echo "$t1 - $t0" | bc) s: $(head -c 300 "$work/answer.json")"
done
echo "service peak RSS: $(grep VmHWM /proc/$pid/status) (after start and demo load: $before)"
