package node

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/langbuild/langbuild/lang"
)

func TestMainFlag(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"server.js":                    "",
		"src/index.js":                 "",
		"pkgmain/package.json":         `{"main": "lib/start"}`,
		"pkgmain/lib/start.js":         "",
		"pkgdir/package.json":          `{"main": "lib"}`,
		"pkgdir/lib/index.js":          "",
		"fallback/package.json":        `{"main": "gone.js"}`,
		"fallback/index.js":            "",
		"empty/README.md":              "",
		"nomain/package.json":          `{"name": "x"}`,
		"badmain/package.json":         `{"main": "gone.js"}`,
		"escape/package.json":          `{"main": "../../server.js"}`,
		"../sibling.js":                "",
		"malformed/package.json":       `{"main": `,
		"deep/er/index.js":             "",
		"with space/index.js":          "",
		"index-dir/index.js/README.md": "",
	})
	for _, tc := range []struct {
		flag string
		want string // command, or error text
	}{
		{"server.js", "/app/server.js"},
		{"./server.js", "/app/server.js"},
		{filepath.Join(dir, "server.js"), "/app/server.js"},
		{"src", "/app/src/index.js"},
		{"src/", "/app/src/index.js"},
		{"pkgmain", "/app/pkgmain/lib/start.js"},
		{"pkgdir", "/app/pkgdir/lib/index.js"},
		{"fallback", "/app/fallback/index.js"},
		{"deep/er", "/app/deep/er/index.js"},
		{"with space", "/app/with space/index.js"},
		{"missing.js", "--main missing.js does not exist"},
		{"empty", `--main empty is a directory with no index.js and no package.json with "main"`},
		{"nomain", `--main nomain is a directory with no index.js and no package.json with "main"`},
		{"badmain", `--main badmain is a directory whose package.json's "main" (gone.js) and index.js do not exist`},
		{"escape", `--main escape is a directory whose package.json's "main" (../../server.js) and index.js do not exist`},
		{"index-dir", `is a directory with no index.js`},
		{"malformed", "malformed/package.json:1:"},
		{"/etc/passwd", "--main /etc/passwd is outside the project"},
		{"../sibling.js", "--main ../sibling.js is outside the project"},
		{"src/../../sibling.js", "is outside the project"},
		{"..", "is outside the project"},
		{filepath.Dir(dir), "is outside the project"},
	} {
		got, err := entrypoint(dir, packageJSON{Main: "server.js"}, tc.flag)
		s := strings.Join(got, " ")
		if err != nil {
			s = err.Error()
		}
		if !strings.Contains(s, tc.want) {
			t.Errorf("--main %q: got %q, want %q", tc.flag, s, tc.want)
		}
	}
}

func TestMainField(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"app.js": "", "lib/index.js": "", "empty/README.md": ""})
	for main, want := range map[string]string{
		"app.js":    "/app/app.js",
		"app":       "/app/app.js",
		"lib":       "/app/lib/index.js",
		"gone.js":   `"main" "gone.js" does not exist`,
		"empty":     `"main" "empty" is a directory with no index.js`,
		"./lib/":    "/app/lib/index.js",
		"lib/nope":  `"main" "lib/nope.js" does not exist`,
		"../app.js": `"main" "../app.js" is outside the project`,
	} {
		got, err := entrypoint(dir, packageJSON{Main: main}, "")
		s := strings.Join(got, " ")
		if err != nil {
			s = err.Error()
		}
		if !strings.Contains(s, want) {
			t.Errorf("main %q: got %q, want %q", main, s, want)
		}
	}
}

// appPaths runs appFiles on dir and returns the image paths, relative to /app.
func appPaths(t *testing.T, dir string, opts ...settings) []string {
	t.Helper()
	var pkg packageJSON
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		t.Fatal(err)
	}
	var o settings
	if len(opts) > 0 {
		o = opts[0]
	}
	es, err := appFiles(dir, pkg, nil, "package-lock.json", lang.Links{Root: dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, strings.TrimPrefix(e.Path, AppDir+"/"))
	}
	return out
}

func TestAppFilesLeavesOutImagesAndEnvFiles(t *testing.T) {
	dir := t.TempDir()
	hex := strings.Repeat("0f", 32)
	layout := map[string]string{"oci-layout": `{"imageLayoutVersion": "1.0.0"}`, "index.json": "{}", "blobs/sha256/" + hex: "blob"}
	files := map[string]string{
		"package.json":           `{"name": "app", "main": "server.js"}`,
		"server.js":              "",
		".env":                   "SECRET=1",
		".env.production":        "SECRET=2",
		".env.example":           "SECRET=",
		".npmrc":                 "//registry/:_authToken=secret",
		".yarnrc.yml":            "npmAuthToken: secret",
		".yarn/install-state.gz": "",
		"config/.env.local":      "SECRET=3",
		"config/app.json":        "{}",
		"fixtures/plain.tar":     "", // written below
		"fixtures/readme.txt":    "",
		// a directory named like build output, that is not one
		"public/oci/logo.svg": "",
	}
	for _, d := range []string{".langbuild/oci/", "out/image/", "deploy/"} {
		for k, v := range layout {
			files[d+k] = v
		}
	}
	files["deploy/notes.md"] = "" // the layout's directory goes as a whole
	write(t, dir, files)
	writeTar(t, filepath.Join(dir, "fixtures/plain.tar"), "a.txt", "b.txt")
	writeTar(t, filepath.Join(dir, "app-image.tar"), "sha256:"+hex, hex+".tar.gz", "manifest.json")
	os.WriteFile(filepath.Join(dir, ".langbuild/record.json"), []byte("{}"), 0o644)

	var notes []string
	notify := func(s string) { notes = append(notes, s) }
	got := appPaths(t, dir, settings{Options: lang.Options{Notify: notify}})
	want := []string{".env.example", "config/app.json", "fixtures/plain.tar", "fixtures/readme.txt", "package.json", "public/oci/logo.svg", "server.js"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("app files (-want +got):\n%s", diff)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], ".env, .env.production, config/.env.local") || !strings.Contains(notes[0], "--include-env-files") {
		t.Errorf("notices: %q", notes)
	}

	// With the flag, the .env files go in, without a notice.
	notes = nil
	got = appPaths(t, dir, settings{Options: lang.Options{Notify: notify}, own: Options{IncludeEnvFiles: true}})
	for _, f := range []string{".env", ".env.production", "config/.env.local"} {
		if !slices.Contains(got, f) {
			t.Errorf("with IncludeEnvFiles, %s is left out: %v", f, got)
		}
	}
	if len(notes) != 0 {
		t.Errorf("notices with IncludeEnvFiles: %q", notes)
	}

	// Without options (as the analyzer calls it until it passes them),
	// .env files are left out all the same.
	if got := appPaths(t, dir); slices.Contains(got, ".env") {
		t.Errorf("without options, .env went in: %v", got)
	}

	// A "!pattern" keeps what the rules would leave out.
	write(t, dir, map[string]string{".langbuildignore": "!deploy\n!deploy/**\n!.env\n"})
	got = appPaths(t, dir)
	for _, f := range []string{".env", "deploy/oci-layout", "deploy/notes.md"} {
		if !slices.Contains(got, f) {
			t.Errorf("kept by .langbuildignore, %s is left out: %v", f, got)
		}
	}
	if slices.Contains(got, ".env.production") || slices.Contains(got, "out/image/index.json") {
		t.Errorf("not kept, yet in: %v", got)
	}
}
