#!/usr/bin/env bash
# Compares langbuild's Node production closure with each package manager's
# own answer on every project of lang/node/testdata/corpus.txt (CI runs a
# sample): with npm, the lockfile npm writes (`npm install
# --package-lock-only`) against `npm ls --omit=dev --all --parseable`, also
# with the lockfile's dev flags scrambled; with pnpm, yarn 1 and yarn berry,
# the installed project against pnpm list --prod, yarn list --prod and what
# `yarn workspaces focus --production` installs. Registries come from the
# package managers' own configuration. Prints "N/M equal" per manager and the
# difference of each mismatch.
#   scripts/node-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export LANGBUILD_REQUIRE_NPM=1 LANGBUILD_CORPUS=all
go test ./lang/node -run '^(TestNpmCorpus|TestNpmWorkspaces|TestPnpmCorpus|TestPnpmWorkspaces|TestYarnCorpus|TestYarnWorkspaces|TestYarnBerryCorpus)$' -count=1 -v -timeout 30m 2>&1 |
  grep -E 'corpus: |_test.go:[0-9]+: |^(ok|FAIL|---)' || true
