# make demo   finds Chromium (or installs Debian's chromium), then runs the demo.
# make test   the same Chromium step, then every test with the race detector.
# make bench  runs the benchmarks behind the issues' figures and prints one
#             table of ratios, also written to bench-results.md.

GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: demo test bench chromium

chromium:
	@scripts/ensure-chromium.sh >/dev/null

demo: chromium
	VERBATIM_BROWSER_PATH="$$(scripts/ensure-chromium.sh)" $(GO) run ./cmd/verbatim demo

test: chromium
	VERBATIM_BROWSER_PATH="$$(scripts/ensure-chromium.sh)" $(GO) test -race ./...

bench:
	$(GO) run ./internal/benchtable -o bench-results.md
