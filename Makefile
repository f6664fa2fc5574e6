# inframap — `make run` serves the demo district, `make test` runs every test.
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)
DATA_DIR ?= ./var

FUZZTIME ?= 60s
# Fuzz targets, as package:target.
FUZZ_TARGETS = ./gis:FuzzParseBBox ./gis:FuzzParseGeometry \
	./internal/httpapi:FuzzCursor ./internal/httpapi:FuzzAssetFilter ./internal/httpapi:FuzzOpen311Form ./internal/httpapi:FuzzNewAsset

.PHONY: help run test test-go bench lint build deps deps-test clean fuzz

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

deps: ## install PostgreSQL + PostGIS when missing (Debian)
	@bash .ci/deps.sh run

deps-test: ## install what the tests need when missing (PostGIS, Chromium, fonts, GDAL, exiftool)
	@bash .ci/deps.sh test

build: ## build bin/inframap
	$(GO) build -o bin/inframap ./cmd/inframap

run: deps build ## serve the demo district on http://127.0.0.1:8080 (embedded PostgreSQL in ./var)
	./bin/inframap serve -demo -data-dir $(DATA_DIR)

test: deps-test ## run every test against a real PostgreSQL + PostGIS
	$(GO) vet ./...
	$(GO) test -count=1 ./...

bench: deps ## run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchtime 3s ./internal/httpapi/

fuzz: ## run every fuzz target for FUZZTIME each (default 60s); the committed corpora also run in `make test`
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "== $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) vet ./...

clean: ## remove build output (keeps the data directory)
	rm -rf bin
