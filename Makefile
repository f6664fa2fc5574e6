# inframap — `make run` serves the demo district, `make test` runs every test.
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)
DATA_DIR ?= ./var

.PHONY: help run test test-go bench lint build deps deps-test clean fixtures

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
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/photo/

fixtures: ## regenerate the photo fixtures and fuzz seeds (needs exiftool and cwebp)
	bash internal/photo/testdata/make-fixtures.sh

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) vet ./...

clean: ## remove build output (keeps the data directory)
	rm -rf bin
