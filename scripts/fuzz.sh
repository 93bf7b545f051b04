#!/usr/bin/env bash
# Runs every fuzz target of langbuild's parsers for a bounded time each:
#   scripts/fuzz.sh [TIME]     (default 10s; CI uses 5s; run longer by hand)
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
