# make demo   finds Chromium (or installs Debian's chromium), then runs the demo.
# make test   the same Chromium step, then every test with the race detector.
# make bench  runs the benchmarks behind the issues' figures (#2 to #7) and
#             prints one table of ratios, also written to bench-results.md
#             (about 6 minutes; BENCHFLAGS='-only audit,ledger-proof' or
#             '-only #7' for a subset, -list for the steps).
# make bench-serve  loads `verbatim serve` with wrk (apt-get install wrk) over
#             100,000 posts; table also in serve-bench.md.
# make fuzz   runs every fuzzer for FUZZTIME each (default 5m), logging to
#             fuzz-log.txt; CI runs them by count (scripts/fuzz.sh).

GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: demo test bench bench-serve fuzz chromium

chromium:
	@scripts/ensure-chromium.sh >/dev/null

demo: chromium
	VERBATIM_BROWSER_PATH="$$(scripts/ensure-chromium.sh)" $(GO) run ./cmd/verbatim demo

test: chromium
	VERBATIM_BROWSER_PATH="$$(scripts/ensure-chromium.sh)" $(GO) test -race ./...

bench:
	$(GO) run ./internal/benchtable -o bench-results.md $(BENCHFLAGS)

bench-serve:
	$(GO) run ./internal/benchserve -o serve-bench.md

FUZZTIME ?= 5m
fuzz:
	FUZZTIME=$(FUZZTIME) FUZZLOG=fuzz-log.txt scripts/fuzz.sh
