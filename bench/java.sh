#!/usr/bin/env bash
# Benchmarks langbuild against Jib (jib-maven-plugin) on the same Maven
# project and the same local registry (Debian's docker-registry on a free
# loopback port), side by side, and prints medians and ratios:
#   cold    new repository, every cache of both tools emptied before each run
#           (langbuild's whole cache: layers, the pulled base, the resolution
#           record; Jib's application and base caches); Maven's local
#           repository stays, for both
#   change  one class changed and recompiled (the compile is not timed)
#   no-op   nothing changed
# Jib is timed as `mvn jib:build` after the compile (Maven's start-up and
# resolution are part of Jib's cost); langbuild as `langbuild build`.
#
#   bench/java.sh [REPS]        (default 5)
#
# The project is testprojects/javaboot plus heavy libraries, about 100 MB of
# jars. Needs docker-registry (scripts/test.sh installs it), mvn and the
# machine's apt sources (for the java17 base both tools build on).
set -euo pipefail
REPS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
bench_setup

start_registry

# The same base for both: the Debian-built java17, pushed to the registry.
BASE_DIGEST=$("$LB" base build --preset java17 -o "$REG/base:java17" -q | sed 's/.*@//')
BASE="$REG/base@$BASE_DIGEST"

cp -r "$ROOT/testprojects/javaboot" "$W/proj"
cd "$W/proj"
python3 - <<'EOF'
p = "pom.xml"
s = open(p).read()
heavy = [("com.ibm.icu", "icu4j", "76.1"), ("org.apache.poi", "poi-ooxml", "5.3.0"),
         ("org.bouncycastle", "bcprov-jdk18on", "1.79"), ("org.apache.groovy", "groovy", "4.0.24"),
         ("org.jetbrains.kotlin", "kotlin-stdlib", "2.1.0"), ("com.google.guava", "guava", "33.5.0-jre"),
         ("org.apache.lucene", "lucene-core", "9.12.0"), ("org.scala-lang", "scala-library", "2.13.15"),
         ("com.h2database", "h2", "2.3.232"), ("org.eclipse.jdt", "ecj", "3.40.0")]
deps = "".join(f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>" for g, a, v in heavy)
s = s.replace("</dependencies>", deps + "</dependencies>", 1)
s = s.replace("<plugins>", """<plugins>
      <plugin><groupId>com.google.cloud.tools</groupId><artifactId>jib-maven-plugin</artifactId><version>3.5.2</version>
        <configuration><allowInsecureRegistries>true</allowInsecureRegistries></configuration></plugin>""", 1)
open(p, "w").write(s)
EOF
# mvn, quietly: Maven writes a colour reset to stderr even with -q, so its
# output is shown only when it fails.
qmvn() { mvn -q -B "$@" >"$W/mvn.out" 2>&1 || { cat "$W/mvn.out" >&2; exit 1; }; }
qmvn compile dependency:build-classpath -Dmdep.outputFile="$W/cp.txt" -DincludeScope=runtime
MB=$(tr ':' '\n' < "$W/cp.txt" | xargs du -cb | tail -1 | awk '{printf "%.0f", $1/1e6}')
# Warm Jib's plugin resolution so the first timed run does not download it.
qmvn jib:build -Djib.from.image="$BASE" -Djib.to.image="$REG/warm/jib"

jib() { mvn -q -B jib:build -Djib.from.image="$BASE" -Djib.to.image="$REG/jib/$1" -Djib.applicationCache="$W/jibcache-$1"; }
lb()  { "$LB" build . --from "$BASE" -o "$REG/lb/$1:latest" -q; }
n=0
change() { n=$((n+1)); sed -i "s/return \"hello from spring boot as \"/return \"hello $n from spring boot as \"/; s/return \"hello [0-9]* from spring boot as \"/return \"hello $n from spring boot as \"/" src/main/java/dev/langbuild/boot/BootApp.java; qmvn -o compile; }

# Equally cold, and neither tool always first: odd runs time Jib first,
# even runs langbuild.
cold() { rm -rf "$XDG_CACHE_HOME/langbuild" "$XDG_CACHE_HOME/google-cloud-tools-java" "$W/jibcache-$2"; time_it "$1.cold" "$1" "$2"; }
for i in $(seq "$REPS"); do
  first=jib second=lb
  if [ $((i % 2)) = 0 ]; then first=lb second=jib; fi
  cold $first "r$i"; cold $second "r$i"
  change; time_it $first.change $first "r$i"
  change; time_it $second.change $second "r$i"
  time_it $first.noop $first "r$i"
  time_it $second.noop $second "r$i"
done

python3 - "$W" "$REPS" "$MB" <<'EOF'
import statistics, sys
w, reps, mb = sys.argv[1:]
med = lambda f: statistics.median(float(x) for x in open(f"{w}/{f}"))
print(f"Maven project (Spring Boot + libraries, {mb} MB of jars), {reps} runs each, median seconds")
print(f"{'scenario':<8} {'langbuild':>10} {'jib':>8} {'lb/jib':>7}")
for s in ("cold", "change", "noop"):
    l, j = med(f"lb.{s}"), med(f"jib.{s}")
    print(f"{s:<8} {l:>10.3f} {j:>8.3f} {l/j:>7.3f}")
EOF
