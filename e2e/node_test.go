package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// npm runs npm in dir and fails the test if it fails.
func npm(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("npm", append(args, "--no-audit", "--no-fund")...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm %v in %s: %v\n%s", args, dir, err, out)
	}
	return string(out)
}

// imageFiles lists the paths in an image's layers (through crane export).
func imageFiles(t *testing.T, ref string) []string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "fs.tar")
	tool(t, "crane", "export", ref, out)
	list := tool(t, "tar", "-tf", out)
	return strings.Split(strings.TrimSpace(list), "\n")
}

// appLayers maps each layer digest of ref to its history comment.
func appLayers(t *testing.T, ref string) map[string]string {
	t.Helper()
	var cfg struct{ History []struct{ Comment string } }
	json.Unmarshal([]byte(tool(t, "crane", "config", ref)), &cfg)
	var m struct{ Layers []struct{ Digest string } }
	json.Unmarshal([]byte(tool(t, "crane", "manifest", ref)), &m)
	out := map[string]string{}
	h := cfg.History[len(cfg.History)-len(m.Layers):]
	for i, l := range m.Layers {
		out[l.Digest] = h[i].Comment
	}
	return out
}

func uploadedNames(t *testing.T, ref string) []string {
	names := appLayers(t, ref)
	var out []string
	for _, u := range uploads(counter.snapshot()) {
		if n, ok := names[u]; ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// TestNodeExpress builds the Express app on the Debian-built nodejs base: it
// answers HTTP as nonroot in production, has no dev dependency, and edits move
// only the layer they touch.
func TestNodeExpress(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "nodeexpress")
	npm(t, dir, "ci")
	env := sharedDebianEnv(t)
	ref := registry + "/nodeexpress:e2e"
	build := func() string { return mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", ref, "-q") }
	d := build()
	if out := tool(t, "crane", "validate", "--remote", registry+"/nodeexpress@"+d); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
	files := imageFiles(t, ref)
	for _, f := range files {
		if strings.Contains(f, "node_modules/is-number") || strings.HasPrefix(f, "app/test/") || strings.HasSuffix(f, "package-lock.json") {
			t.Errorf("the image holds %s", f)
		}
	}
	if !slices.Contains(files, "app/node_modules/express/package.json") || !slices.Contains(files, "app/server.js") {
		t.Errorf("the image lacks express or server.js")
	}
	layout := filepath.Join(t.TempDir(), "layout")
	tool(t, "skopeo", "copy", "--src-tls-verify=false", "docker://"+ref, "oci:"+layout+":latest")
	port := freePort(t)
	serveImage(t, layout, "latest", fmt.Sprintf("PORT=%d", port))
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/hello", port), 30*time.Second); got != "hello from express as uid 65532 in production" {
		t.Errorf("GET /hello = %q", got)
	}

	// An app file: the app layer only.
	edit(t, filepath.Join(dir, "lib/greeting.js"), "hello from express", "hello again from express")
	counter.reset()
	build()
	if up := uploadedNames(t, ref); !slices.Equal(up, []string{"application"}) {
		t.Errorf("after an app file change: uploaded %v", up)
	}
	// A version bump in package.json: the app layer only.
	edit(t, filepath.Join(dir, "package.json"), `"version": "1.0.0"`, `"version": "1.0.1"`)
	counter.reset()
	build()
	if up := uploadedNames(t, ref); !slices.Equal(up, []string{"application"}) {
		t.Errorf("after a version bump: uploaded %v", up)
	}
	// One dependency upgraded (within its range): the dependency layer only.
	npm(t, dir, "update", "ms")
	if b, _ := os.ReadFile(filepath.Join(dir, "node_modules/ms/package.json")); !strings.Contains(string(b), `"version": "2.1.3"`) {
		t.Fatalf("npm update did not upgrade ms: %s", b)
	}
	counter.reset()
	build()
	if up := uploadedNames(t, ref); !slices.Equal(up, []string{"dependencies"}) {
		t.Errorf("after upgrading ms: uploaded %v", up)
	}
}

// TestNodeWorkspaces builds the workspaces monorepo: the workspace package
// is linked, and both a dependency's and the workspace package's bins run
// through their node_modules/.bin links inside the image.
func TestNodeWorkspaces(t *testing.T) {
	needE2E(t)
	env := sharedDebianEnv(t)
	var digests []string
	var layout string
	for i := 0; i < 2; i++ { // two directories: the same digest
		dir := copyProject(t, "nodework")
		npm(t, dir, "ci")
		layout = filepath.Join(t.TempDir(), "layout")
		digests = append(digests, mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", "oci:"+layout, "-q"))
	}
	if digests[0] != digests[1] {
		t.Errorf("two directories gave %s and %s", digests[0], digests[1])
	}
	if got := tool(t, "oci-image-tool", "validate", "--type", "image", "--ref", "name=latest", layout); !strings.Contains(got, "OK") {
		t.Errorf("oci-image-tool: %s", got)
	}
	got := runLayout(t, layout, "latest")
	for _, w := range []string{"hello workspace from the greeter package", "semver says 1.2.3 < 1.10.0: true"} {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	if got := runLayoutArgs(t, layout, "latest", nil, "/usr/bin/node", "/app/node_modules/.bin/semver", "--increment", "minor", "1.2.3"); strings.TrimSpace(got) != "1.3.0" {
		t.Errorf(".bin/semver printed %q", got)
	}
	if got := runLayoutArgs(t, layout, "latest", nil, "/usr/bin/node", "/app/node_modules/.bin/greet", "bin"); !strings.Contains(got, "hello bin from the greeter package") {
		t.Errorf(".bin/greet printed %q", got)
	}
}

// TestNodeFromNpm runs the image build through the project's npm script.
func TestNodeFromNpm(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "nodeexpress")
	npm(t, dir, "ci")
	layout := filepath.Join(t.TempDir(), "layout")
	cmd := exec.Command("npm", "run", "image")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), sharedDebianEnv(t)...),
		"PATH="+filepath.Dir(langbuild)+":"+os.Getenv("PATH"), "LANGBUILD_OUTPUT=oci:"+layout)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "oci:"+layout+":latest@sha256:") {
		t.Fatalf("npm run image: %v\n%s", err, out)
	}
	if got := tool(t, "oci-image-tool", "validate", "--type", "image", "--ref", "name=latest", layout); !strings.Contains(got, "OK") {
		t.Errorf("oci-image-tool: %s", got)
	}
}

// TestNodeBadInput: clear errors, with file and position where there is one.
func TestNodeBadInput(t *testing.T) {
	needE2E(t)
	env := cacheEnv(t)
	base := copyProject(t, "nodeexpress")
	npm(t, base, "ci")
	variant := func(change func(dir string)) string {
		dir := filepath.Join(t.TempDir(), "p")
		if out, err := exec.Command("cp", "-a", base, dir).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
		change(dir)
		return dir
	}
	write := func(name, content string) func(string) {
		return func(dir string) { os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644) }
	}
	for _, tc := range []struct {
		name   string
		change func(string)
		want   []string
	}{
		{"malformed package.json", write("package.json", "{\n  \"name\": \"x\",\n  \"version\": 1.0.0\n}\n"), []string{"package.json:3:", "malformed JSON"}},
		{"malformed lockfile", write("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {\n  \"\": {}\n  \"node_modules/a\": {}\n}}"), []string{"package-lock.json:3:", "malformed JSON"}},
		{"lockfile v1", write("package-lock.json", `{"lockfileVersion": 1, "dependencies": {}}`), []string{"lockfileVersion 1", "npm install"}},
		{"no node_modules", func(d string) { os.RemoveAll(filepath.Join(d, "node_modules")) }, []string{"no node_modules", "npm ci"}},
		{"out of sync", func(d string) {
			edit(t, filepath.Join(d, "node_modules/ms/package.json"), `"version": "2.1.2"`, `"version": "2.0.0"`)
		}, []string{"node_modules/ms", "2.0.0 is installed", "2.1.2", "npm ci"}},
		{"missing package", func(d string) { os.RemoveAll(filepath.Join(d, "node_modules/express")) }, []string{"node_modules/express is missing", "npm ci"}},
		{"shell start script", func(d string) {
			edit(t, filepath.Join(d, "package.json"), `"start": "node server.js"`, `"start": "NODE_OPTIONS=--inspect node server.js && echo done"`)
		}, []string{"scripts.start", "shell"}},
		{"missing main", func(d string) {
			edit(t, filepath.Join(d, "package.json"), `"start": "node server.js",`, `"start2": "x",`)
			edit(t, filepath.Join(d, "package.json"), `"private": true,`, `"private": true, "main": "app/start.js",`)
		}, []string{`"main" "app/start.js" does not exist`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := variant(tc.change)
			r := lb(t, dir, env, "build", "--from", "builtin:static", "-o", registry+"/bad/node:x")
			if r.code == 0 {
				t.Fatal("exit 0")
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("stack trace:\n%s", r.stderr)
			}
		})
	}
	// A base without node is refused with a hint.
	r := lb(t, base, env, "build", "--from", "builtin:static", "-o", "oci:"+filepath.Join(t.TempDir(), "x"))
	if r.code == 0 || !strings.Contains(r.stderr, "no node entrypoint") {
		t.Errorf("node app on builtin:static: exit %d\n%s", r.code, r.stderr)
	}
}
