#!/usr/bin/env bash
# Runs every fuzz target of langbuild's parsers for a bounded time each:
#   scripts/fuzz.sh [BUDGET]   (default 10s; CI uses 20000x; run longer by hand)
# BUDGET is -fuzztime: a duration, or a count of inputs such as 20000x. CI uses
# a count: with a duration, Go's fuzzing coordinator sometimes fails a target
# with a bare "context deadline exceeded" (no failing input written) when a
# worker on a loaded machine misses the deadline.
# Failing inputs are saved under the package's testdata/fuzz, where plain
# `go test` replays them from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
TIME=${1:-10s}
for pkg in $(go list ./...); do
  for fn in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $fn ($TIME)"
    go test -run '^$' -fuzz "^$fn\$" -fuzztime "$TIME" "$pkg"
  done
done
