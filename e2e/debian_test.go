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

// TestRebase builds an app on debian:static, makes a new base with one
// package more, and rebases: the app's layers keep their digests, only the
// new base's blobs are uploaded, and the image runs.
func TestRebase(t *testing.T) {
	needE2E(t)
	env := sharedDebianEnv(t)
	ref := registry + "/rebased:1"
	before := mustBuild(t, copyProject(t, "gohello"), env, "build", "--from", "debian:static", "-o", ref)
	layersOf := func(ref string) []string {
		var m struct{ Layers []struct{ Digest string } }
		if err := json.Unmarshal([]byte(tool(t, "crane", "manifest", ref)), &m); err != nil {
			t.Fatal(err)
		}
		var ds []string
		for _, l := range m.Layers {
			ds = append(ds, l.Digest)
		}
		return ds
	}
	old := layersOf(ref)
	newBase := "debian:static+libcap2"
	newLayout := filepath.Join(t.TempDir(), "newbase")
	_, out := baseBuild(t, env, "--preset", "static", "--package", "libcap2", "-o", "oci:"+newLayout)
	if !strings.Contains(out, "libcap2=") {
		t.Errorf("new base lacks libcap2:\n%s", out)
	}

	counter.reset()
	r := lb(t, t.TempDir(), env, "rebase", ref, "--from", newBase)
	if r.code != 0 {
		t.Fatalf("rebase: exit %d\n%s", r.code, r.stderr)
	}
	after := digestOf(r.stdout)
	if after == before || after == "" {
		t.Fatalf("rebase printed %q (before: %s)", r.stdout, before)
	}
	reqs := counter.snapshot()
	rebased := layersOf(ref)
	// The app's two layers (kodata, binary) are the last two, unchanged.
	if rebased[len(rebased)-1] != old[len(old)-1] || rebased[len(rebased)-2] != old[len(old)-2] {
		t.Errorf("app layers changed: %v -> %v", old[len(old)-2:], rebased[len(rebased)-2:])
	}
	oldSet := map[string]bool{}
	for _, d := range old {
		oldSet[d] = true
	}
	var newBlobs []string
	for _, d := range rebased {
		if !oldSet[d] {
			newBlobs = append(newBlobs, d)
		}
	}
	for _, up := range uploads(reqs) {
		if oldSet[up] {
			t.Errorf("rebase uploaded %s, which the registry had", up)
		}
	}
	if up := uploads(reqs); len(up) != len(newBlobs)+1 { // + config
		t.Errorf("rebase uploaded %d blobs, want the %d new base layers and the config; requests:\n%s", len(up), len(newBlobs), strings.Join(reqs, "\n"))
	}
	var m struct{ Annotations map[string]string }
	json.Unmarshal([]byte(tool(t, "crane", "manifest", ref)), &m)
	if m.Annotations["org.opencontainers.image.base.name"] != newBase {
		t.Errorf("annotations after rebase: %v", m.Annotations)
	}
	if got := runImage(t, ref); !strings.Contains(got, "hello from gohello") || !strings.Contains(got, "uid: 65532") {
		t.Errorf("rebased image printed %q", got)
	}

	// Back onto the old base: the very image we started with.
	r = lb(t, t.TempDir(), env, "rebase", ref, "--from", "debian:static", "-o", registry+"/rebased:back")
	if got := digestOf(r.stdout); r.code != 0 || got != before {
		t.Errorf("rebasing back gave %q (exit %d, %s), want %s", got, r.code, r.stderr, before)
	}

	// An image that names no base is refused.
	plain := registry + "/nobase:1"
	tool(t, "crane", "append", "--oci-empty-base", "-f", writeTar(t), "-t", plain)
	r = lb(t, t.TempDir(), env, "rebase", plain, "--from", "debian:static")
	if r.code == 0 || !strings.Contains(r.stderr, "does not name its base") {
		t.Errorf("rebase of an image without base annotations: exit %d\n%s", r.code, r.stderr)
	}
}

// writeTar makes a one-file layer tarball for crane append.
func writeTar(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi\n"), 0o644)
	out := filepath.Join(t.TempDir(), "layer.tar")
	if b, err := exec.Command("tar", "-C", dir, "-cf", out, "hello.txt").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, b)
	}
	return out
}

// TestDebianBadInput: clear errors for an unknown package, an unsatisfiable
// one, an unknown preset and an unreachable mirror; and no .deb is
// downloaded twice.
func TestDebianBadInput(t *testing.T) {
	needE2E(t)
	env := sharedDebianEnv(t)
	out := "oci:" + filepath.Join(t.TempDir(), "x")
	for _, tc := range []struct {
		name string
		args []string
		want []string
		fast bool
	}{
		{"unknown package", []string{"--preset", "static", "--package", "no-such-package-langbuild"}, []string{`no package "no-such-package-langbuild"`}, false},
		{"missing version", []string{"--package", "libc6=0.0-0"}, []string{"libc6 has no version 0.0-0"}, false},
		{"unknown preset", []string{"--preset", "java99"}, []string{"unknown Debian base preset", "java17"}, true},
		{"unreachable mirror", []string{"--preset", "static", "--mirror", "http://127.0.0.1:1/debian"}, []string{"127.0.0.1:1", "connection refused"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := lb(t, t.TempDir(), env, append([]string{"base", "build", "-o", out}, tc.args...)...)
			if r.code == 0 {
				t.Fatalf("exit 0")
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("stack trace:\n%s", r.stderr)
			}
			if tc.fast && r.elapsed > 10*time.Second {
				t.Errorf("took %s", r.elapsed)
			}
		})
	}
	// The static preset, built before in this cache, downloads nothing again.
	baseBuild(t, env, "--preset", "static", "-o", out)
	_, stderr := baseBuild(t, env, "--preset", "static", "-o", out)
	if !strings.Contains(stderr, "(0 downloaded)") {
		t.Errorf("a rebuild downloaded packages again:\n%s", stderr)
	}
}
