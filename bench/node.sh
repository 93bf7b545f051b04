#!/usr/bin/env bash
# Benchmarks langbuild against containerify (npm, 4.1.0) on the same Node app
# (testprojects/nodeexpress) and the same local registry (Debian's
# docker-registry on a free loopback port), side by side, and prints medians
# and ratios: cold (new repository, empty tool caches), one source file
# changed, no change. Both build on the Debian-built nodejs base pushed there.
#
#   bench/node.sh [REPS]        (default 7)
set -euo pipefail
REPS=${1:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
bench_setup
(mkdir -p "$W/cfy" && cd "$W/cfy" && npm init -y >/dev/null && npm install containerify@4.1.0 --no-audit --no-fund >/dev/null 2>&1)
CFY="$W/cfy/node_modules/.bin/containerify"

start_registry
BASE_DIGEST=$("$LB" base build --preset nodejs -o "$REG/base:nodejs" -q | sed 's/.*@//')

cp -r "$ROOT/testprojects/nodeexpress" "$W/proj"
rm -rf "$W/proj/node_modules"
cd "$W/proj"
npm ci --no-audit --no-fund >/dev/null 2>&1

cfy() {
  "$CFY" --fromRegistry "http://$REG/v2/" --fromImage base:nodejs --toRegistry "http://$REG/v2/" --toImage "cfy/$1:latest" \
    --folder . --allowInsecureRegistries --allowNoPushAuth --doCrossMount \
    --layerCacheFolder "$W/cfycache-$1" --entrypoint "/usr/bin/node /app/server.js" --user 65532
}
lb() { "$LB" build . --from "$REG/base@$BASE_DIGEST" -o "$REG/lb/$1:latest" -q; }
n=0
change() { n=$((n+1)); echo "exports.edit$n = $n;" >> lib/greeting.js; }

for i in $(seq "$REPS"); do
  rm -rf "$XDG_CACHE_HOME/langbuild/layers" "$XDG_CACHE_HOME/langbuild/stat"
  time_it cfy.cold cfy "r$i"
  time_it lb.cold lb "r$i"
  change; time_it cfy.change cfy "r$i"
  change; time_it lb.change lb "r$i"
  time_it cfy.noop cfy "r$i"
  time_it lb.noop lb "r$i"
done

python3 - "$W" "$REPS" <<'EOF'
import statistics, sys
w, reps = sys.argv[1:]
med = lambda f: statistics.median(float(x) for x in open(f"{w}/{f}"))
print(f"Node app (Express, {reps} runs each), median seconds")
print(f"{'scenario':<8} {'langbuild':>10} {'containerify':>13} {'lb/cfy':>7}")
for s in ("cold", "change", "noop"):
    l, c = med(f"lb.{s}"), med(f"cfy.{s}")
    print(f"{s:<8} {l:>10.3f} {c:>13.3f} {l/c:>7.3f}")
EOF
