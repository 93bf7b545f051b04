package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Debian bases come from the machine's apt sources (Debian's mirror).
// One cache serves the tests that only need a base to exist, so each .deb
// is downloaded once per run.
var (
	debianOnce  sync.Once
	debianCache string
)

func sharedDebianEnv(t *testing.T) []string {
	debianOnce.Do(func() {
		d, err := os.MkdirTemp("", "langbuild-e2e-debian-")
		if err != nil {
			t.Fatal(err)
		}
		debianCache = d
	})
	return []string{"XDG_CACHE_HOME=" + debianCache, "GOCACHE=" + goCache}
}

// runLayoutArgs unpacks DIR:TAG, copies extra files into its root, and runs
// args in it with runc as the image's user.
func runLayoutArgs(t *testing.T, layoutDir, tag string, extra map[string]string, args ...string) string {
	t.Helper()
	bundle := filepath.Join(t.TempDir(), "bundle")
	tool(t, "umoci", "unpack", "--image", layoutDir+":"+tag, bundle)
	for dst, src := range extra {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(bundle, "rootfs", dst)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(bundle, "config.json")
	b, _ := os.ReadFile(cfgPath)
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = args
	b, _ = json.Marshal(spec)
	os.WriteFile(cfgPath, b, 0o644)
	cmd := exec.Command("runc", "run", "--bundle", bundle, "lbdeb-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("runc run %q: %v\n%s", args, err, out)
	}
	return string(out)
}

func baseBuild(t *testing.T, env []string, args ...string) (digest, stderr string) {
	t.Helper()
	r := lb(t, t.TempDir(), env, append([]string{"base", "build"}, args...)...)
	if r.code != 0 {
		t.Fatalf("langbuild base build %v: exit %d\n%s", args, r.code, r.stderr)
	}
	return digestOf(r.stdout), r.stderr
}

// TestDebianStatic builds the static preset twice from empty caches in two
// directories (same digest), builds a Go program on it, and runs it: system
// CAs and time zones work, as nonroot.
func TestDebianStatic(t *testing.T) {
	needE2E(t)
	d1, out := baseBuild(t, cacheEnv(t), "--preset", "static", "-o", "oci:"+filepath.Join(t.TempDir(), "a"))
	d2, _ := baseBuild(t, cacheEnv(t), "--preset", "static", "-o", "oci:"+filepath.Join(t.TempDir(), "b"))
	if d1 == "" || d1 != d2 {
		t.Errorf("two builds of the static preset: %q and %q", d1, d2)
	}
	for _, p := range []string{"base-files=", "ca-certificates=", "netbase=", "tzdata="} {
		if !strings.Contains(out, p) {
			t.Errorf("package list lacks %s:\n%s", p, out)
		}
	}

	ref := registry + "/gocerts:static"
	env := sharedDebianEnv(t)
	mustBuild(t, copyProject(t, "gocerts"), env, "build", "--from", "debian:static", "-o", ref)
	got := runImage(t, ref)
	for _, w := range []string{"pool ok: true", "tz: Europe/Paris +0200", "uid: 65532"} {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	if n := countAfter(got, "certs: "); n < 100 {
		t.Errorf("%d CA certificates in the bundle, want > 100:\n%s", n, got)
	}
}

func countAfter(s, prefix string) int {
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// TestDebianJava17 runs java -version and a program that counts the CAs the
// JVM trusts, as uid 65532.
func TestDebianJava17(t *testing.T) {
	needE2E(t)
	classes := t.TempDir()
	javac := exec.Command("javac", "--release", "17", "-d", classes, filepath.Join(repoRoot, "testprojects", "javatrust", "Trust.java"))
	if out, err := javac.CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	layout := filepath.Join(t.TempDir(), "java17")
	env := sharedDebianEnv(t)
	_, out := baseBuild(t, env, "--preset", "java17", "-o", "oci:"+layout+":java17")
	if !strings.Contains(out, "openjdk-17-jre-headless=") {
		t.Errorf("package list:\n%s", out)
	}
	got := runLayoutArgs(t, layout, "java17", nil, "/usr/bin/java", "-version")
	if !strings.Contains(got, `openjdk version "17.`) {
		t.Errorf("java -version printed:\n%s", got)
	}
	got = runLayoutArgs(t, layout, "java17", map[string]string{"/app/Trust.class": filepath.Join(classes, "Trust.class")},
		"/usr/bin/java", "-cp", "/app", "Trust")
	if n := countAfter(got, "trusted CAs: "); n < 100 {
		t.Errorf("the JVM trusts %d CAs, want > 100:\n%s", n, got)
	}
	for _, w := range []string{"user: nonroot", "tz: Etc/UTC", "java: 17."} {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

// TestDebianNodejs runs a real script with Debian's node as nonroot.
func TestDebianNodejs(t *testing.T) {
	needE2E(t)
	layout := filepath.Join(t.TempDir(), "node")
	baseBuild(t, sharedDebianEnv(t), "--preset", "nodejs", "-o", "oci:"+layout+":node")
	got := runLayoutArgs(t, layout, "node", nil, "/usr/bin/node", "-e",
		`const crypto = require("crypto"); const os = require("os");
		 console.log("sum", crypto.createHash("sha256").update("langbuild").digest("hex").slice(0, 12));
		 console.log("uid", process.getuid(), "home", os.homedir());
		 console.log("cas", require("tls").rootCertificates.length > 100);`)
	for _, w := range []string{"sum 72a14f6d7545", "uid 65532 home /home/nonroot", "cas true"} {
		if !strings.Contains(got, w) {
			t.Errorf("node printed %q, want %q", got, w)
		}
	}
}
