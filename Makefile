# make test   runs every test with the race detector.
# make bench  runs the benchmarks behind issue #2 (about 4 minutes) and
#             prints one table of figures, also written to bench-results.md.

GO ?= go

.PHONY: test bench

test:
	$(GO) test -race ./...

bench:
	$(GO) run ./internal/benchtable -o bench-results.md
