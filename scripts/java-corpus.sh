#!/usr/bin/env bash
# Compares the native Java resolver with Maven on every artifact of
# lang/java/testdata/corpus.txt (CI runs a sample of ten): each is the one
# dependency of a generated pom, resolved by langbuild and by
# `mvn dependency:build-classpath -DincludeScope=runtime`, compared as
# ordered lists. Prints "N/M equal" and the first difference of each
# mismatch. Maven fills the local repository as it goes; the first run
# downloads a few hundred MB.
#   scripts/java-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MAVEN_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/langbuild-test/apache-maven-3.9.16"
[ -x "$MAVEN_DIR/bin/mvn" ] && export PATH="$MAVEN_DIR/bin:$PATH"
export LANGBUILD_REQUIRE_MAVEN=1 LANGBUILD_CORPUS=all
go test ./lang/java -run '^TestMavenCorpus$' -count=1 -v -timeout 60m 2>&1 |
  grep -E 'corpus: |conformance_test.go:[0-9]+: |^\s+only |^(ok|FAIL|---)' || true
