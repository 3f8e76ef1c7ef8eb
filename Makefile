# supportd — common tasks. `make run` and `make test` need only Go and a
# PostgreSQL server reachable at DATABASE_URL (default: local, user postgres).

GO        ?= go
DATABASE_URL ?= postgres://postgres@localhost:5432/postgres?sslmode=disable
SUPPORTD_DATABASE_URL ?= postgres://postgres@localhost:5432/supportd?sslmode=disable
BENCHTIME ?= 1x
FUZZTIME  ?= 30s
export DATABASE_URL

.PHONY: run test bench load lint build schema clean fuzz

## run: start the server on the local PostgreSQL (creates and migrates its database)
run:
	$(GO) run ./cmd/supportd --database-url '$(SUPPORTD_DATABASE_URL)'

## test: every test, against the real PostgreSQL and the in-process KurrentDB test double
## (two packages at a time, two tests each: every test server holds PostgreSQL
## connections; `.ci/with-postgres make test` runs it on a private cluster sized
## for it). The timeout is go test's own, per package: generous, so that a slow,
## loaded machine is not mistaken for a hang, and still inside CI's 90 minutes.
test:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 45m -p 2 -parallel 2 ./...

## bench: benchmarks and load figures recorded in docs/PERFORMANCE.md
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -timeout 60m ./eventstore/postgres/ ./projections/ ./cmd/supportd/

## load: simulated customers and agents through the HTTP API for LOAD_DURATION
## (default 2m), then a check of the event log and the store's raw appends/s at
## the same concurrency; figures in docs/PERFORMANCE.md. Not part of `make test`.
LOAD_DURATION ?= 2m
LOAD_FLAGS ?=
load:
	$(GO) test -count=1 -v -run '^TestLoad$$' -timeout 60m ./cmd/supportd/ -args -load.run -load.duration $(LOAD_DURATION) $(LOAD_FLAGS)

## fuzz: run each fuzz target for FUZZTIME (default 30s); what it finds is
## written to the package's testdata/fuzz/ and then runs in every `make test`
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzWriteRequest$$' -fuzztime $(FUZZTIME) ./api/
	$(GO) test -run '^$$' -fuzz '^FuzzUpcast$$' -fuzztime $(FUZZTIME) ./eventschema/

## lint: formatting and vet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

## build: binaries into ./bin
build:
	$(GO) build -o bin/ ./cmd/...

## schema: regenerate the event JSON Schemas under eventschema/schemas/
schema:
	$(GO) run ./cmd/supportctl schema

clean:
	rm -rf bin
