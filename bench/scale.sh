#!/usr/bin/env bash
# Scale cases for langbuild alone: a synthetic Maven project with about 1 GB
# of jars (100 jars of 10 MB, installed into a scratch local repository) and
# a synthetic Node project with 1,000 installed packages, each next to a small
# version of itself (10 jars, 10 packages). A one-file change in the large
# project should cost no more than 1.2x the small one's; a no-op should stay
# under 60 ms whatever the size.
#
#   bench/scale.sh [REPS]        (default 5)
#   SCALE_ONLY=node|java bench/scale.sh   runs one language's cases only
set -euo pipefail
REPS=${1:-5}
ONLY=${SCALE_ONLY:-}
case "$ONLY" in ""|java|node) ;; *) echo "bench: SCALE_ONLY is java or node, not $ONLY" >&2; exit 2 ;; esac
JAVA_CASES="jsmall jlarge"
NODE_CASES="nsmall nlarge"
[ "$ONLY" = node ] && JAVA_CASES=""
[ "$ONLY" = java ] && NODE_CASES=""
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
CGO_ENABLED=0 go build -o "$W/langbuild" "$ROOT/cmd/langbuild"
LB="$W/langbuild"
export XDG_CACHE_HOME="$W/xdg"
mkdir -p "$W/home/.m2"
echo "<settings><localRepository>$W/m2</localRepository></settings>" > "$W/home/.m2/settings.xml"
export HOME="$W/home"
# The app layers are what is measured; the bases are built once first.
JBASE="builtin:static"
NBASE="debian:nodejs"

# java PROJECT JARS MB: a project whose runtime classpath is JARS jars of MB each.
java_project() {
  local dir=$1 n=$2 mb=$3
  mkdir -p "$dir/target/classes/p"
  local deps=""
  for i in $(seq "$n"); do
    local a="lib$i"
    local d="$W/m2/bench/$a/1.0"
    if [ ! -f "$d/$a-1.0.jar" ]; then
      mkdir -p "$d"
      echo "<project><modelVersion>4.0.0</modelVersion><groupId>bench</groupId><artifactId>$a</artifactId><version>1.0</version></project>" > "$d/$a-1.0.pom"
      head -c "$((mb * 1000000))" /dev/urandom > "$d/$a-1.0.jar"
    fi
    deps="$deps<dependency><groupId>bench</groupId><artifactId>$a</artifactId><version>1.0</version></dependency>"
  done
  echo "<project><modelVersion>4.0.0</modelVersion><groupId>bench</groupId><artifactId>app</artifactId><version>1</version><dependencies>$deps</dependencies></project>" > "$dir/pom.xml"
  printf 'package p; public class Main { public static void main(String[] a) { System.out.println("x"); } }\n' > "$dir/Main.java"
  javac --release 17 -d "$dir/target/classes" "$dir/Main.java"
}

# node PROJECT N: a project with N installed packages in its lockfile.
node_project() {
  local dir=$1 n=$2
  mkdir -p "$dir/node_modules"
  python3 - "$dir" "$n" <<'PY'
import json, os, sys
d, n = sys.argv[1], int(sys.argv[2])
pk = {"": {"name": "app", "version": "1.0.0", "dependencies": {}}}
for i in range(n):
    name = f"pkg{i}"
    p = os.path.join(d, "node_modules", name)
    os.makedirs(os.path.join(p, "lib"), exist_ok=True)
    json.dump({"name": name, "version": "1.0.0"}, open(os.path.join(p, "package.json"), "w"))
    for j in range(5):
        open(os.path.join(p, "lib", f"f{j}.js"), "w").write(f"module.exports = {i * 10 + j};\n" * 50)
    pk[""]["dependencies"][name] = "1.0.0"
    pk["node_modules/" + name] = {"version": "1.0.0"}
json.dump({"name": "app", "version": "1.0.0", "private": True, "main": "index.js"}, open(os.path.join(d, "package.json"), "w"))
json.dump({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": pk}, open(os.path.join(d, "package-lock.json"), "w"))
open(os.path.join(d, "index.js"), "w").write("console.log('x');\n")
PY
}

. "$ROOT/bench/lib.sh"

if [ -n "$JAVA_CASES" ]; then
  java_project "$W/jsmall" 10 10
  java_project "$W/jlarge" 100 10
fi
if [ -n "$NODE_CASES" ]; then
  node_project "$W/nsmall" 10
  node_project "$W/nlarge" 1000
fi
for p in $JAVA_CASES; do (cd "$W/$p" && "$LB" build --from "$JBASE" -o "oci:$W/out-$p" -q >/dev/null); done
for p in $NODE_CASES; do (cd "$W/$p" && "$LB" build --from "$NBASE" -o "oci:$W/out-$p" -q >/dev/null); done
for i in $(seq "$REPS"); do
  # Each edit names its project: the small and the large project must not
  # end up with the same application layer, or the second would find the
  # first's in the layer cache and write nothing.
  for p in $JAVA_CASES; do
    cd "$W/$p"
    sed -i "s/println(\"[^\"]*\")/println(\"$p $i\")/" Main.java && javac --release 17 -d target/classes Main.java
    time_it "$p.change" "$LB" build --from "$JBASE" -o "oci:$W/out-$p" -q
    time_it "$p.noop" "$LB" build --from "$JBASE" -o "oci:$W/out-$p" -q
  done
  for p in $NODE_CASES; do
    cd "$W/$p"
    echo "console.log('$p', $i);" >> index.js
    time_it "$p.change" "$LB" build --from "$NBASE" -o "oci:$W/out-$p" -q
    time_it "$p.noop" "$LB" build --from "$NBASE" -o "oci:$W/out-$p" -q
  done
done
python3 - "$W" "$REPS" <<'PY'
import os, statistics, sys
w, reps = sys.argv[1:]
med = lambda f: statistics.median(float(x) for x in open(f"{w}/{f}"))
have = lambda p: os.path.exists(f"{w}/{p}.change")
print(f"langbuild at scale, {reps} runs each, median milliseconds (OCI layout output)")
print(f"{'project':<34} {'change':>8} {'no-op':>8}")
rows = [("Java, 10 jars (100 MB)", "jsmall"), ("Java, 100 jars (1 GB)", "jlarge"),
        ("Node, 10 packages", "nsmall"), ("Node, 1,000 packages", "nlarge")]
for label, p in rows:
    if have(p):
        print(f"{label:<34} {1000 * med(p + '.change'):>8.1f} {1000 * med(p + '.noop'):>8.1f}")
ratios = [f"{lang} {med(l + '.change')/med(s + '.change'):.2f}"
          for lang, s, l in [("Java", "jsmall", "jlarge"), ("Node", "nsmall", "nlarge")] if have(l)]
print("change ratio large/small: " + ", ".join(ratios))
PY
