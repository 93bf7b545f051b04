package node

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

func write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const lock = `{"lockfileVersion": 3, "packages": {
  "": {"name": "app", "dependencies": {"a": "^1.0.0", "@s/c": "^3.0.0"}, "optionalDependencies": {"opt": "^1.0.0"}, "devDependencies": {"dev": "^1.0.0"}},
  "node_modules/a": {"version": "1.0.0", "dependencies": {"b": "^2.0.0"}},
  "node_modules/a/node_modules/b": {"version": "2.0.0"},
  "node_modules/@s/c": {"version": "3.0.0", "hasInstallScript": true},
  "node_modules/dev": {"version": "1.0.0", "dev": true},
  "node_modules/opt": {"version": "1.0.0", "optional": true}
}}`

func project(t *testing.T, extra map[string]string) string {
	dir := t.TempDir()
	files := map[string]string{
		"package.json":                `{"name": "app", "version": "1.0.0", "main": "main.js"}`,
		"package-lock.json":           lock,
		"main.js":                     "1",
		"README.md":                   "docs",
		"test/x.test.js":              "t",
		"node_modules/a/package.json": `{"version": "1.0.0"}`,
		"node_modules/a/index.js":     "a",
		"node_modules/a/node_modules/b/package.json": `{"version": "2.0.0"}`,
		"node_modules/@s/c/package.json":             `{"version": "3.0.0"}`,
		"node_modules/@s/c/build/addon.node":         "elf",
		"node_modules/dev/package.json":              `{"version": "1.0.0"}`,
		"node_modules/dev/cli.js":                    "d",
	}
	for k, v := range extra {
		files[k] = v
	}
	write(t, dir, files)
	os.MkdirAll(filepath.Join(dir, "node_modules/.bin"), 0o755)
	os.Symlink("../a/index.js", filepath.Join(dir, "node_modules/.bin/a"))
	os.Symlink("../dev/cli.js", filepath.Join(dir, "node_modules/.bin/dev"))
	return dir
}

func paths(p *layering.Plan) map[string]string {
	out := map[string]string{}
	for _, l := range p.Layers {
		for _, e := range l.Entries {
			out[e.Path] = l.Name
		}
	}
	return out
}

func TestClosureAndLayers(t *testing.T) {
	var notes []string
	host := lang.Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
	p, err := New().Analyze(context.Background(), project(t, nil), lang.Options{Platform: host, Notify: func(s string) { notes = append(notes, s) }})
	if err != nil {
		t.Fatal(err)
	}
	got := paths(p)
	for path, layer := range map[string]string{
		"/app/node_modules/a/index.js":                    "dependencies",
		"/app/node_modules/a/node_modules/b/package.json": "dependencies",
		"/app/node_modules/@s/c/build/addon.node":         "dependencies",
		"/app/node_modules/.bin/a":                        "links (node_modules/.bin, workspace links)",
		"/app/main.js":                                    "application",
		"/app/package.json":                               "application",
		"/app/README.md":                                  "application",
	} {
		if got[path] != layer {
			t.Errorf("%s: in %q, want %q", path, got[path], layer)
		}
	}
	for _, absent := range []string{"/app/node_modules/dev/cli.js", "/app/node_modules/.bin/dev", "/app/test/x.test.js", "/app/package-lock.json"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s is in the image", absent)
		}
	}
	if strings.Join(p.Config.Cmd, " ") != "/app/main.js" || p.Config.User != "65532" || p.Config.Entrypoint != nil {
		t.Errorf("config %+v", p.Config)
	}
	if p.Facts[FactNative] != "node_modules/@s/c" || len(notes) != 1 || !strings.Contains(notes[0], "native addons") {
		t.Errorf("native addons: %v %v", p.Facts, notes)
	}
	// For another platform the native addon stops the build, unless allowed.
	other := lang.Platform{OS: "linux", Arch: "arm64"}
	if host == other {
		other.Arch = "amd64"
	}
	_, err = New().Analyze(context.Background(), project(t, nil), lang.Options{Platform: other})
	if err == nil || !strings.Contains(err.Error(), "--allow-native") {
		t.Errorf("native addon for another platform: %v", err)
	}
	if _, err := (&Analyzer{Options: Options{AllowNative: true}}).Analyze(context.Background(), project(t, nil), lang.Options{Platform: other}); err != nil {
		t.Errorf("with --allow-native: %v", err)
	}
}

func TestIgnoresAndFiles(t *testing.T) {
	dir := project(t, map[string]string{
		".langbuildignore": "# comment\n*.md\nsecret/\n!keep.md\n",
		"keep.md":          "k",
		"secret/key":       "s",
		"dist/app.js":      "built",
	})
	p, err := New().Analyze(context.Background(), dir, lang.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := paths(p)
	if _, ok := got["/app/README.md"]; ok {
		t.Error("README.md was not ignored")
	}
	if _, ok := got["/app/secret/key"]; ok {
		t.Error("secret/ was not ignored")
	}
	for _, want := range []string{"/app/keep.md", "/app/dist/app.js"} {
		if _, ok := got[want]; !ok {
			t.Errorf("%s is missing", want)
		}
	}
	// The "files" field decides when present.
	write(t, dir, map[string]string{"package.json": `{"name": "app", "main": "dist/app.js", "files": ["dist/"]}`})
	p, err = New().Analyze(context.Background(), dir, lang.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got = paths(p)
	if _, ok := got["/app/main.js"]; ok {
		t.Error("main.js is outside \"files\" but in the image")
	}
	if _, ok := got["/app/dist/app.js"]; !ok || got["/app/package.json"] != "application" {
		t.Errorf("files field: %v", got)
	}
}

func TestStartScripts(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"server.js": "", "src/index.js": ""})
	for _, tc := range []struct {
		start string
		want  string // command, or error text
	}{
		{"node server.js", "/app/server.js"},
		{"node --enable-source-maps src/index.js --port 8080", "--enable-source-maps /app/src/index.js --port 8080"},
		{"node server.js && echo hi", "shell syntax"},
		{"PORT=1 node server.js", "sets environment variables"},
		{"nodemon server.js", `runs "nodemon", not node`},
		{"node missing.js", "missing.js, which does not exist"},
		{"node ../outside.js", "outside the project"},
	} {
		got, err := entrypoint(dir, packageJSON{Scripts: map[string]string{"start": tc.start}}, "")
		s := strings.Join(got, " ")
		if err != nil {
			s = err.Error()
		}
		if !strings.Contains(s, tc.want) {
			t.Errorf("start %q: got %q, want %q", tc.start, s, tc.want)
		}
	}
	if got, _ := entrypoint(dir, packageJSON{}, ""); strings.Join(got, " ") != "/app/server.js" {
		t.Errorf("default: %v", got)
	}
}

func TestPackagePaths(t *testing.T) {
	for in, want := range map[string]string{"node_modules/a": "a", "node_modules/@s/c": "@s/c", "node_modules/a/node_modules/b": "a"} {
		if got := topPackage(in); got != want {
			t.Errorf("topPackage(%s) = %s", in, got)
		}
	}
	for in, want := range map[string]string{
		"/p/node_modules/a/bin/x.js":                 "node_modules/a",
		"/p/node_modules/a/node_modules/@s/b/cli.js": "node_modules/a/node_modules/@s/b",
		"/p/packages/greeter/bin/greet.js":           "packages/greeter",
	} {
		if got := ownerPackage("/p", in); got != want {
			t.Errorf("ownerPackage(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestPickLockfile: one lockfile is read; of several, the one whose package
// manager installed node_modules, with a note.
func TestPickLockfile(t *testing.T) {
	for _, tc := range []struct {
		files      []string
		want, note string
	}{
		{nil, "package-lock.json", ""},
		{[]string{"pnpm-lock.yaml"}, "pnpm-lock.yaml", ""},
		{[]string{"yarn.lock"}, "yarn.lock", ""},
		{[]string{"npm-shrinkwrap.json", "package-lock.json"}, "npm-shrinkwrap.json", ""},
		{[]string{"package-lock.json", "yarn.lock", "node_modules/.yarn-integrity"}, "yarn.lock", "as its package manager installed node_modules"},
		{[]string{"package-lock.json", "pnpm-lock.yaml", "node_modules/.modules.yaml"}, "pnpm-lock.yaml", "reading pnpm-lock.yaml, of package-lock.json, pnpm-lock.yaml"},
		{[]string{"package-lock.json", "pnpm-lock.yaml", "node_modules/.package-lock.json"}, "package-lock.json", "as its package manager"},
		{[]string{"pnpm-lock.yaml", "yarn.lock"}, "pnpm-lock.yaml", "remove the lockfiles of package managers the project does not use"},
	} {
		dir := t.TempDir()
		files := map[string]string{}
		for _, f := range tc.files {
			files[f] = ""
		}
		write(t, dir, files)
		got, note := pickLockfile(dir)
		if got != tc.want || (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
			t.Errorf("%v: %s, %q; want %s, %q", tc.files, got, note, tc.want, tc.note)
		}
	}
}

// TestNoLockfile: the error names every lockfile langbuild reads.
func TestNoLockfile(t *testing.T) {
	for _, tc := range []struct {
		extra map[string]string
		want  string
	}{
		{nil, "no lockfile (package-lock.json, pnpm-lock.yaml or yarn.lock): run `npm install`, `pnpm install` or `yarn install`"},
		{map[string]string{"bun.lock": "{}"}, "only bun.lock, which langbuild does not read: install with npm, pnpm or yarn"},
	} {
		dir := t.TempDir()
		write(t, dir, map[string]string{"package.json": `{"name": "a", "main": "index.js"}`, "index.js": ""})
		write(t, dir, tc.extra)
		_, err := New().Analyze(context.Background(), dir, lang.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}
