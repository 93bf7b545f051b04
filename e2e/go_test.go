package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cacheEnv gives a build an empty langbuild cache of its own. Go's build
// cache would move with XDG_CACHE_HOME too; it is kept where it is, since it
// does not decide what langbuild produces (TestReproducible checks that).
func cacheEnv(t *testing.T) []string {
	return []string{"XDG_CACHE_HOME=" + t.TempDir(), "GOCACHE=" + goCache}
}

// TestGoHello builds the Go project with a module dependency and a kodata
// asset, pushes it, validates it and runs it.
func TestGoHello(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	ref := registry + "/gohello:e2e"
	digest := mustBuild(t, dir, cacheEnv(t), "build", "--from", "builtin:static", "-o", ref, "--tag", "second")
	pinned := registry + "/gohello@" + digest

	if out := tool(t, "crane", "validate", "--remote", pinned); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
	var inspect struct {
		Digest string
		Layers []string
	}
	if err := json.Unmarshal([]byte(tool(t, "skopeo", "inspect", "--tls-verify=false", "docker://"+ref)), &inspect); err != nil {
		t.Fatal(err)
	}
	if inspect.Digest != digest {
		t.Errorf("skopeo sees %s at %s, langbuild printed %s", inspect.Digest, ref, digest)
	}
	if len(inspect.Layers) != 3 {
		t.Errorf("image has %d layers, want 3 (base, kodata, binary)", len(inspect.Layers))
	}
	var cfg struct {
		Config struct {
			User       string
			Entrypoint []string
		}
		History []struct{ Comment string }
	}
	if err := json.Unmarshal([]byte(tool(t, "skopeo", "inspect", "--config", "--tls-verify=false", "docker://"+ref)), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532" || !slices.Equal(cfg.Config.Entrypoint, []string{"/app/gohello"}) {
		t.Errorf("config user %q entrypoint %q", cfg.Config.User, cfg.Config.Entrypoint)
	}
	var comments []string
	for _, h := range cfg.History {
		comments = append(comments, h.Comment)
	}
	if !strings.Contains(strings.Join(comments, "|"), "go binary, at /app/gohello") {
		t.Errorf("history comments %q do not name the binary layer", comments)
	}
	// The extra tag points at the same image.
	if d := strings.TrimSpace(tool(t, "crane", "digest", registry+"/gohello:second")); d != digest {
		t.Errorf("tag second is %s, want %s", d, digest)
	}

	out := runImage(t, ref)
	for _, want := range []string{
		"hello from gohello",
		"uuid: ad53f1cc-0f0a-5161-bfec-b6e889aa11e1",
		"asset: greetings from kodata",
		"uid: 65532 gid: 65532",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("program output lacks %q:\n%s", want, out)
		}
	}
}

// TestGoMulti builds one of two main packages, chosen by path, and refuses to
// guess when none is named.
func TestGoMulti(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gomulti")
	env := cacheEnv(t)

	r := lb(t, dir, env, "build", "--from", "builtin:static", "-o", registry+"/gomulti:guess")
	if r.code == 0 || !strings.Contains(r.stderr, "./cmd/server, ./cmd/worker") {
		t.Errorf("building a project with two programs: exit %d, stderr %q; want an error naming both", r.code, r.stderr)
	}

	ref := registry + "/gomulti-worker:e2e"
	d := mustBuild(t, dir, env, "build", "./cmd/worker", "--from", "builtin:static", "-o", ref)
	if out := tool(t, "crane", "validate", "--remote", registry+"/gomulti-worker@"+d); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
	var inspect struct{ Digest string }
	if err := json.Unmarshal([]byte(tool(t, "skopeo", "inspect", "--tls-verify=false", "docker://"+ref)), &inspect); err != nil || inspect.Digest != d {
		t.Errorf("skopeo inspect: %+v %v, want %s", inspect, err, d)
	}
	if out := runImage(t, ref); !strings.Contains(out, "gomulti worker uid=65532") {
		t.Errorf("worker printed %q", out)
	}
	// The same, from inside the package directory.
	ref = registry + "/gomulti-server:e2e"
	mustBuild(t, filepath.Join(dir, "cmd", "server"), env, "build", "--from", "builtin:static", "-o", ref)
	if out := runImage(t, ref); !strings.Contains(out, "gomulti server") {
		t.Errorf("server printed %q", out)
	}
}

// TestReproducible builds the same sources in two directories, with two empty
// caches, at two times and with different file mtimes: the digests agree.
// SOURCE_DATE_EPOCH changes the digest, reproducibly.
func TestReproducible(t *testing.T) {
	needE2E(t)
	a, b := copyProject(t, "gohello"), copyProject(t, "gohello")
	// Make the second copy look different to anything that reads stat.
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	filepath.Walk(b, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	build := func(dir string, env []string) string {
		out := filepath.Join(t.TempDir(), "layout")
		return mustBuild(t, dir, env, "build", "--from", "builtin:static", "-o", "oci:"+out)
	}
	da := build(a, cacheEnv(t))
	time.Sleep(1100 * time.Millisecond)
	// The second build also gets an empty Go build cache.
	db := build(b, []string{"XDG_CACHE_HOME=" + t.TempDir(), "GOCACHE=" + t.TempDir()})
	if da != db {
		t.Errorf("same sources gave %s in %s and %s in %s", da, a, db, b)
	}
	sde := append(cacheEnv(t), "SOURCE_DATE_EPOCH=1700000000")
	d1 := build(a, sde)
	d2 := build(b, append(cacheEnv(t), "SOURCE_DATE_EPOCH=1700000000"))
	if d1 == da {
		t.Errorf("SOURCE_DATE_EPOCH did not change the digest (%s)", d1)
	}
	if d1 != d2 {
		t.Errorf("with SOURCE_DATE_EPOCH: %s vs %s", d1, d2)
	}
	// The layout validates and carries a ref name that skopeo and umoci use.
	out := filepath.Join(t.TempDir(), "layout")
	mustBuild(t, a, cacheEnv(t), "build", "--from", "builtin:static", "-o", "oci:"+out+":v1")
	if got := tool(t, "oci-image-tool", "validate", "--type", "image", "--ref", "name=v1", out); !strings.Contains(got, "OK") {
		t.Errorf("oci-image-tool: %s", got)
	}
	if got := runLayout(t, out, "v1"); !strings.Contains(got, "hello from gohello") {
		t.Errorf("image from the layout printed %q", got)
	}
}

// TestOnlyChangesMove counts what the registry receives: after a one-line
// change only the binary layer (plus config and manifest) is uploaded; after an
// asset change only the asset layer; after no change, nothing at all.
func TestOnlyChangesMove(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	ref := registry + "/moves:dev"
	args := []string{"build", "--from", "builtin:static", "-o", ref, "-q"}
	layers := func() []string {
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
	mustBuild(t, dir, env, args...)
	first := layers()

	// No change: no blob and no manifest is written, no byte is sent. The
	// two uploads made ready once go build was done (for a layer that might
	// have changed) are kept for the next build.
	counter.reset()
	mustBuild(t, dir, env, args...)
	reqs := counter.snapshot()
	if up := uploads(reqs); len(up) != 0 || count(reqs, "PUT /v2/moves/manifests/") != 0 || count(reqs, "PATCH ") != 0 ||
		count(reqs, "POST ") > 2 {
		t.Errorf("no-op rebuild uploaded %v; requests:\n%s", up, strings.Join(reqs, "\n"))
	}

	// A one-line change to main.go: the binary layer and the config move.
	edit(t, filepath.Join(dir, "main.go"), `"hello from gohello"`, `"hello again from gohello"`)
	counter.reset()
	mustBuild(t, dir, env, args...)
	reqs = counter.snapshot()
	if n := count(reqs, "POST "); n != 0 {
		t.Errorf("the change opened %d uploads, want the two kept by the no-op used; requests:\n%s", n, strings.Join(reqs, "\n"))
	}
	second := layers()
	up := uploads(reqs)
	if len(up) != 2 || !slices.Contains(up, second[2]) || count(reqs, "PUT /v2/moves/manifests/") != 1 {
		t.Errorf("after a code change uploads are %v (binary layer %s), want it and the config; requests:\n%s", up, second[2], strings.Join(reqs, "\n"))
	}
	if second[0] != first[0] || second[1] != first[1] || second[2] == first[2] {
		t.Errorf("layers before %v, after %v: want only the last changed", first, second)
	}

	// An asset change: only the kodata layer (and config) moves.
	if err := os.WriteFile(filepath.Join(dir, "kodata", "greeting.txt"), []byte("changed greeting\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	counter.reset()
	mustBuild(t, dir, env, args...)
	reqs = counter.snapshot()
	third := layers()
	up = uploads(reqs)
	if len(up) != 2 || !slices.Contains(up, third[1]) || third[2] != second[2] || third[1] == second[1] {
		t.Errorf("after an asset change uploads are %v, layers %v -> %v; requests:\n%s", up, second, third, strings.Join(reqs, "\n"))
	}

	// touch changes no content: no new layer.
	now := time.Now()
	os.Chtimes(filepath.Join(dir, "kodata", "greeting.txt"), now, now)
	counter.reset()
	mustBuild(t, dir, env, args...)
	if up := uploads(counter.snapshot()); len(up) != 0 {
		t.Errorf("touch caused uploads %v", up)
	}

	out := runImage(t, ref)
	if !strings.Contains(out, "hello again from gohello") || !strings.Contains(out, "asset: changed greeting") {
		t.Errorf("rebuilt image printed %q", out)
	}
}

func edit(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(s, old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentBuildsShareCache runs two builds at once on one cache.
func TestConcurrentBuildsShareCache(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	results := make(chan result, 2)
	tmp := t.TempDir()
	for i := range 2 {
		go func() {
			layout := filepath.Join(tmp, fmt.Sprint("layout", i))
			results <- lbNoFatal(dir, env, "build", "--from", "builtin:static", "-o", "oci:"+layout, "-q")
		}()
	}
	r1, r2 := <-results, <-results
	for _, r := range []result{r1, r2} {
		if r.code != 0 {
			t.Fatalf("concurrent build failed: exit %d\n%s", r.code, r.stderr)
		}
	}
	d1, d2 := digestOf(r1.stdout), digestOf(r2.stdout)
	if d1 != d2 || d1 == "" {
		t.Errorf("concurrent builds gave %q and %q", d1, d2)
	}
	verifyCache(t, dir, env)
}

// TestKilledBuildLeavesUsableCache kills builds at several points and checks
// that the next build succeeds and the cache holds nothing corrupt.
func TestKilledBuildLeavesUsableCache(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	for _, delay := range []time.Duration{30 * time.Millisecond, 150 * time.Millisecond, 400 * time.Millisecond, 1200 * time.Millisecond} {
		// A new content each round, so there is a layer to write when the kill comes.
		edit(t, filepath.Join(dir, "main.go"), `var message = "`, fmt.Sprintf(`var message = "%d `, delay.Milliseconds()))
		layout := filepath.Join(t.TempDir(), "layout")
		cmd := exec.Command(langbuild, "build", "--from", "builtin:static", "-o", "oci:"+layout, "-q")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		verifyCache(t, dir, env)
		d := mustBuild(t, dir, env, "build", "--from", "builtin:static", "-o", "oci:"+layout, "-q")
		if got := runLayoutDigest(t, layout); got != d {
			t.Errorf("layout index names %s, build printed %s", got, d)
		}
	}
	verifyCache(t, dir, env)
}

func runLayoutDigest(t *testing.T, layout string) string {
	var idx struct{ Manifests []struct{ Digest string } }
	b, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("index.json: %v %s", err, b)
	}
	return idx.Manifests[0].Digest
}

func verifyCache(t *testing.T, dir string, env []string) {
	t.Helper()
	if r := lb(t, dir, env, "cache", "verify"); r.code != 0 {
		t.Errorf("cache verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func digestOf(stdout string) string {
	s := strings.TrimSpace(stdout)
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return s[i+1:]
	}
	return ""
}

// lbNoFatal is lb for goroutines, which must not call t.Fatal.
func lbNoFatal(dir string, env []string, args ...string) result {
	cmd := exec.Command(langbuild, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		r.code, r.stderr = -1, err.Error()
	}
	return r
}

// TestSkaffoldContract runs langbuild the way skaffold's custom builder does:
// no arguments, $IMAGE, $PUSH_IMAGE, $BUILD_CONTEXT and $PLATFORMS set; the
// exit code and the pushed reference are what skaffold checks.
func TestSkaffoldContract(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	image := registry + "/skaffold/gohello:abc123"
	env := append(cacheEnv(t), "IMAGE="+image, "PUSH_IMAGE=true", "BUILD_CONTEXT="+dir, "PLATFORMS=linux/amd64")
	r := lb(t, t.TempDir(), env, "build", "--from", "builtin:static", "-q")
	if r.code != 0 {
		t.Fatalf("skaffold-style build: exit %d\n%s", r.code, r.stderr)
	}
	got := strings.TrimSpace(tool(t, "crane", "digest", image))
	if want := digestOf(r.stdout); got != want {
		t.Errorf("%s is %s, langbuild printed %s", image, got, want)
	}
	// Without push: a layout in the project, tagged like $IMAGE.
	env = append(cacheEnv(t), "IMAGE="+image, "PUSH_IMAGE=false", "BUILD_CONTEXT="+dir)
	if r := lb(t, t.TempDir(), env, "build", "--from", "builtin:static", "-q"); r.code != 0 {
		t.Fatalf("PUSH_IMAGE=false: exit %d\n%s", r.code, r.stderr)
	}
	if out := tool(t, "oci-image-tool", "validate", "--type", "image", "--ref", "name=abc123", filepath.Join(dir, ".langbuild", "oci")); !strings.Contains(out, "OK") {
		t.Errorf("layout: %s", out)
	}
}

// TestJSONSummary: --json parses and agrees with the registry, including
// which layers the push uploaded; the digest and image ID files match.
func TestJSONSummary(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	ref := registry + "/summary:1"
	files := t.TempDir()
	var events []map[string]any
	run := func() map[string]any {
		r := lb(t, dir, env, "build", "--from", "builtin:static", "-o", ref, "-t", "two", "--json",
			"--digest-file", filepath.Join(files, "digest"), "--image-id-file", filepath.Join(files, "id"), "--summary-file", filepath.Join(files, "summary.json"))
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		var s map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			t.Fatalf("--json output does not parse: %v\n%s", err, r.stdout)
		}
		events = nil
		for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
			var e map[string]any
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("--json progress line does not parse: %v\n%s", err, line)
			}
			events = append(events, e)
		}
		return s
	}
	phases := func() map[string]int {
		m := map[string]int{}
		for _, e := range events {
			m[e["phase"].(string)]++
		}
		return m
	}
	s := run()
	if p := phases(); p["compressed"] == 0 || p["upload"] == 0 {
		t.Errorf("first push: progress phases %v, want layers compressed and bytes uploaded", p)
	}
	digest := strings.TrimSpace(tool(t, "crane", "digest", ref))
	if s["digest"] != digest || strings.TrimSpace(tool(t, "crane", "digest", registry+"/summary:two")) != digest {
		t.Errorf("summary digest %v, registry %s", s["digest"], digest)
	}
	var cfg struct{ Config struct{ Digest string } }
	json.Unmarshal([]byte(tool(t, "crane", "manifest", ref)), &cfg)
	if s["imageID"] != cfg.Config.Digest {
		t.Errorf("imageID %v, config %s", s["imageID"], cfg.Config.Digest)
	}
	for name, want := range map[string]string{"digest": digest, "id": cfg.Config.Digest} {
		if b, _ := os.ReadFile(filepath.Join(files, name)); strings.TrimSpace(string(b)) != want {
			t.Errorf("%s file: %q, want %s", name, b, want)
		}
	}
	manifest := tool(t, "crane", "manifest", ref)
	for _, l := range s["layers"].([]any) {
		l := l.(map[string]any)
		if !strings.Contains(manifest, l["digest"].(string)) || l["pushed"] != true {
			t.Errorf("first push: layer %v", l)
		}
	}
	// Nothing changed: nothing pushed.
	for _, l := range run()["layers"].([]any) {
		if l.(map[string]any)["pushed"] != false {
			t.Errorf("no-op push: layer %v", l)
		}
	}
	if p := phases(); p["cached"] == 0 || p["compressed"] != 0 || p["upload"] != 0 {
		t.Errorf("no-op push: progress phases %v, want every layer cached and nothing uploaded", p)
	}
}

// TestEightBuildsAtOnce: eight builds of one project at once, on one cache
// and one registry repository, all succeed with the same digest, and the
// cache verifies.
func TestEightBuildsAtOnce(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	results := make(chan result, 8)
	for i := 0; i < 8; i++ {
		go func() {
			results <- lbNoFatal(dir, env, "build", "--from", "builtin:static", "-o", fmt.Sprintf("%s/eight:t%d", registry, i), "-q")
		}()
	}
	var digests []string
	for i := 0; i < 8; i++ {
		r := <-results
		if r.code != 0 {
			t.Fatalf("a concurrent build failed: exit %d\n%s", r.code, r.stderr)
		}
		digests = append(digests, digestOf(r.stdout))
	}
	for _, d := range digests {
		if d != digests[0] {
			t.Errorf("digests differ: %v", digests)
			break
		}
	}
	if out := tool(t, "crane", "validate", "--remote", registry+"/eight:t0"); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
	verifyCache(t, dir, env)
}
