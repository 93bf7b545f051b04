#!/usr/bin/env bash
# Installs what langbuild's tests need on a fresh Debian machine, then runs
# them. Safe to run again: it only installs what is missing.
#   scripts/test.sh            all tests, end-to-end included
#   scripts/test.sh -run Foo   extra arguments go to `go test`
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "test.sh: $*" >&2; }

# Debian packages: the registry the end-to-end tests push to, and the tools
# that validate, unpack and run what they push.
missing=()
# javac compiles the Java program the java17 base test runs.
for pair in docker-registry:docker-registry skopeo:skopeo umoci:umoci runc:runc oci-image-tool:oci-image-tool javac:openjdk-17-jdk-headless mvn:maven npm:npm; do
  cmd=${pair%%:*} pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Maven 3.9 (maven-resolver 1.9), the reference the Java resolver is compared
# with; Debian's is 3.8. Fetched by Debian's Maven from the repositories its
# settings name, once, into the cache.
MAVEN_VERSION=3.9.16
MAVEN_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/langbuild-test/apache-maven-$MAVEN_VERSION"
if [ ! -x "$MAVEN_DIR/bin/mvn" ]; then
  log "installing Maven $MAVEN_VERSION"
  tmp=$(mktemp -d)
  mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact=org.apache.maven:apache-maven:$MAVEN_VERSION:tar.gz:bin -DoutputDirectory="$tmp" >/dev/null
  mkdir -p "$(dirname "$MAVEN_DIR")"
  tar -xzf "$tmp/apache-maven-$MAVEN_VERSION-bin.tar.gz" -C "$tmp"
  rm -rf "$MAVEN_DIR" && mv "$tmp/apache-maven-$MAVEN_VERSION" "$MAVEN_DIR"
  rm -rf "$tmp"
fi
export PATH="$MAVEN_DIR/bin:$PATH"
# The Java and Node conformance tests fail, rather than skip, without Maven
# 3.9 or npm.
export LANGBUILD_REQUIRE_MAVEN=1 LANGBUILD_REQUIRE_NPM=1

# crane, for `crane validate`.
GOBIN_DIR=$(go env GOBIN); [ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"
if ! command -v crane >/dev/null 2>&1; then
  log "installing crane"
  go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
fi
# toxiproxy, which the end-to-end fault tests put between langbuild and the
# registry; its command is called `server`.
if [ -z "${LANGBUILD_TOXIPROXY:-}" ] && [ ! -x "$GOBIN_DIR/server" ]; then
  log "installing toxiproxy"
  go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0
fi

# Go modules of langbuild and of the test projects.
go mod download
for mod in testprojects/*/go.mod; do
  (cd "$(dirname "$mod")" && go mod download)
done

go vet ./...
go test "$@" ./...
# Bounded fuzzing of the parsers when asked (CI sets LANGBUILD_FUZZTIME).
if [ -n "${LANGBUILD_FUZZTIME:-}" ]; then
  scripts/fuzz.sh "$LANGBUILD_FUZZTIME"
fi
