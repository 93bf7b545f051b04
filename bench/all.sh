#!/usr/bin/env bash
# Runs every peer benchmark in one go — langbuild against ko (Go), Jib
# (Java) and containerify (Node), each on its own local registry — and then
# the scale cases. Each prints its own table of medians and ratios.
#
#   bench/all.sh [REPS]        (default 5)
set -euo pipefail
REPS=${1:-5}
cd "$(dirname "$0")"
echo "== Go: langbuild vs ko"; ./go.sh "$REPS"
echo; echo "== Java: langbuild vs Jib"; ./java.sh "$REPS"
echo; echo "== Node: langbuild vs containerify"; ./node.sh "$REPS"
echo; echo "== Scale"; ./scale.sh "$REPS"
