#!/usr/bin/env bash
# Benchmarks langbuild against ko on the same Go project, pushing to the same
# local registry (Debian's docker-registry on a free loopback port), side by
# side in one run, and prints medians and ratios:
#   cold      build+push into a new repository with an empty tool cache
#             (Go's build cache stays warm for both: it is not what differs)
#   change    one-line change to main.go, then rebuild+push
#   no-op     rebuild+push with nothing changed
#   go build  bare `CGO_ENABLED=0 go build -trimpath` after a one-line change,
#             in each run next to langbuild's change: before it in odd runs,
#             after its no-op in even ones. "lb - go build" is the median of
#             the differences within each run, which this machine's swings
#             between runs (tens of ms) do not move. The order alternates
#             so that neither side always runs first: in one test of 40
#             alternating runs, the runs with the bare build first gave a
#             difference 10 ms smaller (in another, the same).
#
#   bench/go.sh [REPS] [PROJECT_DIR]     (defaults: 7, testprojects/gohello)
#
# Needs docker-registry and crane (scripts/test.sh installs both) and ko
# (`go install github.com/google/ko@latest`; installed here when missing).
set -euo pipefail
REPS=${1:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${2:-$ROOT/testprojects/gohello}
GOBIN_DIR=$(go env GOBIN); [ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"
# Static, as ko's releases are (and as langbuild is built here).
command -v ko >/dev/null || CGO_ENABLED=0 go install github.com/google/ko@latest
command -v crane >/dev/null || go install github.com/google/go-containerregistry/cmd/crane@v0.22.1

. "$ROOT/bench/lib.sh"
bench_setup
start_registry

# The same small base for both: passwd/group with nonroot, /tmp; user 65532.
mkdir -p "$W/baseroot/etc" "$W/baseroot/tmp" "$W/baseroot/home/nonroot"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n' > "$W/baseroot/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$W/baseroot/etc/group"
chmod 1777 "$W/baseroot/tmp"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1 -C "$W/baseroot" -cf "$W/base.tar" .
crane append -f "$W/base.tar" -t "$REG/base:tmp" --oci-empty-base >/dev/null 2>&1
crane mutate "$REG/base:tmp" --set-platform linux/amd64 -u 65532 -t "$REG/base:latest" >/dev/null 2>&1
BASE="$REG/base@$(crane digest "$REG/base:latest")"

cp -r "$SRC" "$W/proj"
cd "$W/proj"
MAIN=$(grep -l 'func main' *.go | head -1)
n=0
change() { n=$((n+1)); echo "var benchEdit$n = $n" >> "$MAIN"; }
bare() { change; time_it go.change env CGO_ENABLED=0 go build -trimpath -o "$W/bare" .; }


lb()  { "$LB" build . --from "$BASE" -o "$REG/lb/$1:latest" -q; }
kob() { KO_DOCKER_REPO="$REG/ko-$1" KO_DEFAULTBASEIMAGE="$BASE" ko build -B --sbom=none . ; }
kocache() { KOCACHE="$W/kocache" KO_DOCKER_REPO="$REG/kc-$1" KO_DEFAULTBASEIMAGE="$BASE" ko build -B --sbom=none . ; }

# Warm Go's build cache so the first measured build does not pay for it.
CGO_ENABLED=0 go build -trimpath -o "$W/warm" . >/dev/null

# Each tool runs its three scenarios back to back, so its no-op really follows
# its own build of the same sources.
for i in $(seq "$REPS"); do
  export XDG_CACHE_HOME="$W/xdg-$i" GOCACHE=$(go env GOCACHE)
  rm -rf "$W/kocache"
  for t in lb:lb ko:kob kc:kocache; do
    name=${t%%:*} fn=${t#*:}
    time_it "$name.cold" $fn "cold$i"
    if [ "$name" = lb ] && [ $((i % 2)) = 1 ]; then bare; fi
    change; time_it "$name.change" $fn "cold$i"
    time_it "$name.noop" $fn "cold$i"
    if [ "$name" = lb ] && [ $((i % 2)) = 0 ]; then bare; fi
  done
done

python3 - "$W" "$REPS" <<'EOF'
import statistics, sys
w, reps = sys.argv[1], sys.argv[2]
def runs(name):
    with open(f"{w}/{name}") as f:
        return [float(x) for x in f]
def med(name):
    return statistics.median(runs(name))
print(f"Go project, {reps} runs each, median seconds (ratio = langbuild / peer)")
print(f"{'scenario':<10} {'langbuild':>10} {'ko':>8} {'ko+KOCACHE':>11} {'go build':>9} {'lb/ko':>6} {'lb/ko+cache':>12} {'lb - go build':>14}")
gb = med("go.change")
for s in ("cold", "change", "noop"):
    lb, ko, kc = med(f"lb.{s}"), med(f"ko.{s}"), med(f"kc.{s}")
    extra = f"{statistics.median(a - b for a, b in zip(runs('lb.change'), runs('go.change')))*1000:+.0f} ms" if s == "change" else ""
    g = f"{gb:.3f}" if s == "change" else ""
    print(f"{s:<10} {lb:>10.3f} {ko:>8.3f} {kc:>11.3f} {g:>9} {lb/ko:>6.2f} {lb/kc:>12.2f} {extra:>14}")
d = sorted((a - b) * 1000 for a, b in zip(runs("lb.change"), runs("go.change")))
q = lambda p: d[min(len(d) - 1, int(p * len(d)))]
print(f"lb - go build, paired within each run: median {statistics.median(d):+.0f} ms, quartiles {q(0.25):+.0f} / {q(0.75):+.0f} ms")
first = [x for k, x in enumerate((a - b) * 1000 for a, b in zip(runs("lb.change"), runs("go.change"))) if k % 2 == 0]
last = [x for k, x in enumerate((a - b) * 1000 for a, b in zip(runs("lb.change"), runs("go.change"))) if k % 2 == 1]
if first and last:
    print(f"  medians with the bare build before langbuild's change: {statistics.median(first):+.0f} ms, after its no-op: {statistics.median(last):+.0f} ms")
EOF
