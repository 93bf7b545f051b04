# Shared by the bench scripts (sourced, not run): set-up, a docker-registry on
# a free loopback port, and a timer.

# bench_setup makes the scratch directory $W (removed, with the registry
# stopped, on exit), builds langbuild into $LB and gives it its own cache.
# Expects $ROOT.
bench_setup() {
  command -v docker-registry >/dev/null || { echo "bench: docker-registry missing: run scripts/test.sh first" >&2; exit 1; }
  W=$(mktemp -d)
  trap 'kill $(cat "$W/registry.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$W" ${REG_MEM:+"$REG_MEM"}' EXIT
  # Static, as the README installs it and as release builds are.
  CGO_ENABLED=0 go build -o "$W/langbuild" "$ROOT/cmd/langbuild"
  LB="$W/langbuild"
  export XDG_CACHE_HOME="$W/xdg"
}

# start_registry sets REG to the host:port of a fresh docker-registry; the
# caller's trap stops it ($W/registry.pid). Its storage is in memory
# (/dev/shm) unless BENCH_REGISTRY_STORAGE=disk, which puts it in $W: on disk
# the registry syncs every blob, link and manifest it writes, and here those
# syncs cost a one-line Go change's push 5 to 13 ms, as the disk answers.
# That is the registry's work, not the pusher's, and the same for every tool.
start_registry() {
  local port data="$W/registry/data" storage="on disk"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  REG=127.0.0.1:$port
  mkdir -p "$W/registry"
  case ${BENCH_REGISTRY_STORAGE:-memory} in
    memory|disk) ;;
    *) echo "bench: BENCH_REGISTRY_STORAGE is memory (the default) or disk, not $BENCH_REGISTRY_STORAGE" >&2; exit 1 ;;
  esac
  if [ "${BENCH_REGISTRY_STORAGE:-memory}" = memory ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    REG_MEM=$(mktemp -d -p /dev/shm langbuild-bench-registry.XXXXXX)
    data=$REG_MEM storage="in memory"
  fi
  echo "registry: docker-registry at $REG, storage $storage ($data)"
  cat > "$W/registry/config.yml" <<CFG
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $data}}
http: {addr: $REG, secret: bench}
CFG
  docker-registry serve "$W/registry/config.yml" > "$W/registry/log" 2>&1 & echo $! > "$W/registry.pid"
  for _ in $(seq 100); do curl -fs "http://$REG/v2/" >/dev/null && break; sleep 0.05; done
}

now() { echo "${EPOCHREALTIME/,/.}"; }

# time_it FILE CMD...: appends to $W/FILE the seconds CMD took; a failing
# CMD stops the benchmark with its output.
time_it() {
  local f=$1; shift
  local s; s=$(now)
  "$@" >"$W/last.out" 2>&1 || { echo "bench: failed: $*" >&2; tail -n 25 "$W/last.out" >&2; exit 1; }
  python3 -c "print(f'{$(now)-$s:.4f}')" >> "$W/$f"
}
