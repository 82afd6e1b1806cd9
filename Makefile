# apphost's two commands: `go run ./cmd/apphost serve` runs it, `make test`
# tests it. `make test` first installs the programs the end-to-end tests
# run (nginx, Apache httpd, Prometheus, wrk, h2load, xmllint,
# systemd-analyze) from Debian's packages when one is missing.

GO ?= go
TEST_TIMEOUT ?= 20m

.PHONY: test deps fmt-check vet unit build bench fuzz

test: deps fmt-check vet
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...

# deps installs what the tests need, with apt-get, only when it is missing.
deps:
	@scripts/install-test-deps

fmt-check:
	@files="$$(gofmt -l .)"; if [ -n "$$files" ]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...

# unit runs the tests without installing anything; end-to-end tests skip
# when their programs are missing (and fail when CI is set).
unit:
	$(GO) test -race ./...

build:
	$(GO) build -o bin/apphost ./cmd/apphost

# bench runs the benchmark harness (docs/performance.md); it is not part of
# make test. Pass its flags in BENCHFLAGS: make bench BENCHFLAGS="-only nginx".
BENCHFLAGS ?=
bench: deps
	$(GO) run ./tests/bench $(BENCHFLAGS)

# fuzz runs every fuzz target for FUZZTIME each (seed corpora run in make test).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
