# inframap — `make run` serves the demo district, `make test` runs every test.
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)
DATA_DIR ?= ./var

FUZZTIME ?= 60s
# Fuzz targets, as package:target.
FUZZ_TARGETS = ./gis:FuzzParseBBox ./gis:FuzzParseGeometry \
	./internal/httpx:FuzzCursor ./internal/httpapi:FuzzAssetFilter ./internal/open311:FuzzOpen311Form ./internal/httpapi:FuzzNewAsset \
	./internal/photo:FuzzProcess ./internal/photo:FuzzReadEXIF \
	./internal/exchange:FuzzReadCSV ./internal/exchange:FuzzReadGeoJSON ./internal/cql2:FuzzParse

.PHONY: help run test test-go test-web web screenshots bench bench-import lint build deps deps-test clean fuzz fixtures gobench soak check-tracked cluster cluster-test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

deps: ## install PostgreSQL + PostGIS and GDAL (gdal-bin, for imports) when missing (Debian)
	@bash .ci/deps.sh run

deps-test: ## install what the tests need when missing (PostGIS, Chromium, fonts, GDAL, exiftool)
	@bash .ci/deps.sh test

build: ## build bin/inframap
	$(GO) build -o bin/inframap ./cmd/inframap

run: deps build ## serve the demo district on http://127.0.0.1:8080 (embedded PostgreSQL in ./var)
	./bin/inframap serve -demo -data-dir $(DATA_DIR)

check-tracked: ## fail when git tracks a compiled binary, or a file over 1 MiB outside docs/screenshots and web/public/vendor
	@bash .ci/check-tracked.sh

test: check-tracked deps-test ## run every test (after check-tracked): Go against a real PostgreSQL + PostGIS, then the browser tests, then the cluster test
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(MAKE) test-web
	$(MAKE) cluster-test

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

web: web/node_modules/.package-lock.json ## refresh web/public/vendor from the npm packages pinned in web/package.json
	cd web && node scripts/vendor.mjs && node scripts/preload.mjs

test-web: web/node_modules/.package-lock.json ## run the browser tests (headless Chromium against serve -demo)
	cd web && GO=$(GO) node --test --test-concurrency=1 tests/

screenshots: web/node_modules/.package-lock.json ## write docs/screenshots/*.png: the public map (desktop and phone), the console, the field page (phone)
	cd web && GO=$(GO) node scripts/screenshots.mjs

bench: build ## load harness: reads and writes on loopback vs pgbench ceilings, district and city scale; writes docs/benchmarks.md
	@bash .ci/deps.sh bench
	$(GO) run ./cmd/inframap-bench bench -bin bin/inframap $(BENCHFLAGS)

bench-import: deps ## import a zipped shapefile of N=1000000 manholes (GK 126°E, GBK) over HTTP: time and the service's peak RSS
	@bash .ci/bench-import-shp.sh $(or $(N),1000000)

gobench: deps ## run the Go micro-benchmarks (handlers, photo pipeline, working-time arithmetic)
	$(GO) test -run '^$$' -bench . -benchtime 3s ./internal/httpapi/
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/photo/
	$(GO) test -run '^$$' -bench . ./internal/workcal/

SOAKTIME ?= 10m
soak: build ## mixed traffic for SOAKTIME (default 10m) with a PostgreSQL and a server restart; checks nothing acknowledged was lost
	@bash .ci/deps.sh bench
	$(GO) run ./cmd/inframap-bench soak -bin bin/inframap -duration $(SOAKTIME)

CLUSTERTIME ?= 60s
cluster-test: build ## primary + streaming replica + S3 (SeaweedFS) + 3 copies behind HAProxy: figures, then CLUSTERTIME (default 60s) of mixed traffic killing a copy and the replica; checks no write lost, no 500, limits held
	@bash .ci/deps.sh cluster
	$(GO) run ./cmd/inframap-bench cluster -bin bin/inframap -duration $(CLUSTERTIME) $(CLUSTERFLAGS)

cluster: build ## start that topology (primary, replica, S3, 3 copies, HAProxy) on loopback and wait for Ctrl-C, to try it
	@bash .ci/deps.sh cluster
	$(GO) run ./cmd/inframap-bench cluster -serve -bin bin/inframap

fixtures: ## regenerate the photo fixtures and fuzz seeds (needs exiftool and cwebp)
	bash internal/photo/testdata/make-fixtures.sh

fuzz: ## run every fuzz target for FUZZTIME each (default 60s); the committed corpora also run in `make test`
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "== $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

lint: check-tracked ## gofmt and go vet (after check-tracked)
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) vet ./...

clean: ## remove build output (keeps the data directory)
	rm -rf bin
