#!/usr/bin/env bash
# Runs every fuzzer of the project in turn.
#   FUZZTIME  per fuzzer: a count ("10000x", CI's default) or a duration ("5m")
#   FUZZLOG   also append one line per fuzzer, and the total, to this file
# Extra arguments go to `go test` (for example -parallel 1).
# Go's fuzzer can end a timed run with a spurious "context deadline
# exceeded" when its deadline falls while a worker is busy; such a run (and
# only such) is tried once more.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
fuzztime="${FUZZTIME:-10000x}"
log="${FUZZLOG:-/dev/null}"
total=0
one() { # package, target, extra args
	local pkg=$1 t=$2 out start took
	shift 2
	start=$(date +%s)
	if ! out=$(go test "$pkg" -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$@" 2>&1); then
		if echo "$out" | grep -q "context deadline exceeded" && ! echo "$out" | grep -q "Failing input"; then
			echo "$t: spurious fuzzer deadline; once more"
			out=$(go test "$pkg" -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$@" 2>&1) || { echo "$out"; return 1; }
		else
			echo "$out"
			return 1
		fi
	fi
	took=$(( $(date +%s) - start ))
	total=$(( total + took ))
	local execs
	execs=$(echo "$out" | { grep -o 'execs: [0-9]*' || true; } | tail -1 | cut -d' ' -f2)
	printf '%-20s %-28s %6ss %12s inputs\n' "$pkg" "$t" "$took" "${execs:-?}" | tee -a "$log"
}
for pkg in ./archive/sqlite ./config ./archive/xapi ./archive/xv1 ./verify ./verify/embeds ./verify/compare ./verify/match ./verify/winnow; do
	for t in $(grep -ho '^func Fuzz[A-Za-z0-9]*' "$pkg"/*_test.go | sed 's/func //'); do
		one "$pkg" "$t" "$@"
	done
done
printf 'total %ss of fuzzing (FUZZTIME=%s %s) on %s, %s\n' "$total" "$fuzztime" "$*" "$(hostname)" "$(date -u +%FT%TZ)" | tee -a "$log"
