#!/usr/bin/env bash
# Builds the java17 base with langbuild (cold: empty cache; cached: the same
# cache again) and the same root filesystem by hand (apt-get download of the
# same package versions, dpkg-deb -x, tar | gzip -1), side by side, and prints
# medians:
#
#   bench/debian.sh [REPS] [PRESET]      (defaults: 3, java17)
#
# Uses the machine's apt sources, like langbuild does.
set -euo pipefail
REPS=${1:-3}
PRESET=${2:-java17}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
CGO_ENABLED=0 go build -o "$W/langbuild" "$ROOT/cmd/langbuild"

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { python3 -c "print(f'{$(now)-$1:.3f}')"; }

for i in $(seq "$REPS"); do
  rm -rf "$W/cache" "$W/out"
  s=$(now)
  "$W/langbuild" base build --preset "$PRESET" --cache-dir "$W/cache" -o "oci:$W/out" 2> "$W/pkgs.txt" >/dev/null
  elapsed "$s" >> "$W/lb.cold"
  s=$(now)
  "$W/langbuild" base build --preset "$PRESET" --cache-dir "$W/cache" -o "oci:$W/out" 2>/dev/null >/dev/null
  elapsed "$s" >> "$W/lb.cached"

  # By hand: the same name=version list langbuild resolved.
  pkgs=$(awk '/^  /{print $1}' "$W/pkgs.txt")
  rm -rf "$W/hand"; mkdir -p "$W/hand/debs" "$W/hand/root"
  s=$(now)
  (cd "$W/hand/debs" && apt-get download -qq $pkgs >/dev/null 2>&1)
  for d in "$W"/hand/debs/*.deb; do dpkg-deb -x "$d" "$W/hand/root"; done
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1 -C "$W/hand/root" -cf - . | gzip -1 > "$W/hand/layer.tar.gz"
  elapsed "$s" >> "$W/hand.cold"
  rm -rf "$W/hand/root"; mkdir -p "$W/hand/root"
  s=$(now)
  for d in "$W"/hand/debs/*.deb; do dpkg-deb -x "$d" "$W/hand/root"; done
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1 -C "$W/hand/root" -cf - . | gzip -1 > "$W/hand/layer.tar.gz"
  elapsed "$s" >> "$W/hand.cached"
done

python3 - "$W" "$REPS" "$PRESET" "$(wc -l < "$W/pkgs.txt")" <<'EOF'
import statistics, sys
w, reps, preset, n = sys.argv[1:]
med = lambda f: statistics.median(float(x) for x in open(f"{w}/{f}"))
print(f"{preset} base ({int(n)-1} packages), {reps} runs each, median seconds")
print(f"{'':<30} {'cold':>8} {'cached':>8}")
print(f"{'langbuild base build':<30} {med('lb.cold'):>8.2f} {med('lb.cached'):>8.2f}")
print(f"{'by hand (download, -x, tar|gzip)':<30} {med('hand.cold'):>8.2f} {med('hand.cached'):>8.2f}")
print(f"{'ratio langbuild / by hand':<30} {med('lb.cold')/med('hand.cold'):>8.2f} {med('lb.cached')/med('hand.cached'):>8.2f}")
print("cached: langbuild with its cache (indexes fetched again, no download, layers reused);")
print("        by hand with the .deb files already downloaded (unpack, tar, gzip again).")
EOF
