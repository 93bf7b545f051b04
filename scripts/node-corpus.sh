#!/usr/bin/env bash
# Compares langbuild's Node production closure with npm's on every project
# of lang/node/testdata/corpus.txt (CI runs a sample of six): npm writes each
# project's lockfile (`npm install --package-lock-only`, from the registry
# npm's configuration names), and the set langbuild computes must equal
# `npm ls --omit=dev --all --parseable`, also after the lockfile's dev flags
# are scrambled. Prints "N/M equal" and the difference of each mismatch.
#   scripts/node-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export LANGBUILD_REQUIRE_NPM=1 LANGBUILD_CORPUS=all
go test ./lang/node -run '^(TestNpmCorpus|TestNpmWorkspaces)$' -count=1 -v -timeout 30m 2>&1 |
  grep -E 'npm corpus: |npmtest_test.go:[0-9]+: |^(ok|FAIL|---)' || true
