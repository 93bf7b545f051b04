package golang

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

var update = flag.Bool("update", false, "rewrite the golden plan files in testdata/")

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const gomod = "module example.com/app\n\ngo 1.26\n"

func TestFindMain(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"go.mod":               gomod,
		"lib.go":               "package app\n",
		"cmd/a/main.go":        "package main\nfunc main() {}\n",
		"cmd/b/main.go":        "package main\nfunc main() {}\n",
		"cmd/b/main_test.go":   "package main\n",
		"internal/x/x.go":      "package x\n",
		"testdata/t/main.go":   "package main\nfunc main() {}\n",
		"other/go.mod":         "module example.com/other\n",
		"other/main.go":        "package main\nfunc main() {}\n",
		"cmd/c/main_darwin.go": "package main\nfunc main() {}\n",
	})
	p := lang.Platform{OS: "linux", Arch: "amd64"}
	_, err := findMain(dir, dir, p)
	if err == nil || !strings.Contains(err.Error(), "./cmd/a, ./cmd/b") || strings.Contains(err.Error(), "other") || strings.Contains(err.Error(), "cmd/c") {
		t.Errorf("several mains: %v", err)
	}
	got, err := findMain(filepath.Join(dir, "cmd", "b"), dir, p)
	if err != nil || got != filepath.Join(dir, "cmd", "b") {
		t.Errorf("cmd/b: %s %v", got, err)
	}
	if _, err := findMain(filepath.Join(dir, "internal"), dir, p); err == nil || !strings.Contains(err.Error(), "no main package") {
		t.Errorf("internal: %v", err)
	}
	// A darwin-only program is not a main package for linux.
	if _, err := findMain(filepath.Join(dir, "cmd", "c"), dir, p); err == nil {
		t.Error("cmd/c (darwin only) was taken as a linux program")
	}
}

func TestDetect(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"go.mod": gomod, "sub/x.go": "package sub\n"})
	a := New()
	for _, d := range []string{dir, filepath.Join(dir, "sub")} {
		if ok, err := a.Detect(d); !ok || err != nil {
			t.Errorf("Detect(%s) = %v, %v", d, ok, err)
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"malformed go.mod", map[string]string{"go.mod": "module example.com/x\nrequire (\n"}, "go.mod:"},
		{"no module line", map[string]string{"go.mod": "go 1.26\n", "main.go": "package main\nfunc main(){}\n"}, "no module line"},
		{"compile error", map[string]string{"go.mod": gomod, "main.go": "package main\nfunc main() { undefinedThing() }\n"}, "undefined: undefinedThing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tc.files)
			_, err := New().Analyze(ctx, dir, lang.Options{WorkDir: t.TempDir(), Env: os.Environ()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestGoldenPlans compares the plans of the test projects with testdata/.
// Run `go test ./lang/golang -update` after a deliberate change.
func TestGoldenPlans(t *testing.T) {
	root, err := filepath.Abs("../../testprojects")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, dir string }{
		{"gohello", "gohello"},
		{"gomulti-worker", "gomulti/cmd/worker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New().Analyze(context.Background(), filepath.Join(root, tc.dir), lang.Options{PlanOnly: true, WorkDir: "/work"})
			if err != nil {
				t.Fatal(err)
			}
			got := golden(t, p, root)
			file := filepath.Join("testdata", tc.name+".plan.json")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(want) != string(got) {
				t.Errorf("plan of %s changed (-want +got):\n-%s\n+%s", tc.dir, want, got)
			}
		})
	}
}

// golden renders a plan with machine-specific source paths made relative.
func golden(t *testing.T, p *layering.Plan, root string) []byte {
	t.Helper()
	for i := range p.Layers {
		for j := range p.Layers[i].Entries {
			e := &p.Layers[i].Entries[j]
			if rel, err := filepath.Rel(root, e.Source); err == nil && !strings.HasPrefix(rel, "..") {
				e.Source = "testprojects/" + rel
			} else if e.Source != "" {
				e.Source = "$WORK/" + filepath.Base(e.Source)
			}
		}
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestKodataSymlinks(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"go.mod":           gomod,
		"LICENSE":          "license text",
		"kodata/a.txt":     "a",
		"kodata/sub/b.txt": "b",
	})
	kd := filepath.Join(root, "kodata")
	os.Symlink("sub/b.txt", filepath.Join(kd, "inside"))
	os.Symlink("../LICENSE", filepath.Join(kd, "LICENSE"))
	es, err := kodata(kd, root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]layering.Entry{}
	for _, e := range es {
		got[e.Path] = e
	}
	if e := got[DataPath+"/inside"]; e.Type != layering.TypeSymlink || e.Linkname != "sub/b.txt" {
		t.Errorf("link inside kodata: %+v", e)
	}
	if e := got[DataPath+"/LICENSE"]; e.Type != layering.TypeFile || !strings.HasSuffix(e.Source, "/LICENSE") {
		t.Errorf("link to the module's LICENSE: %+v", e)
	}

	os.Symlink("/etc/passwd", filepath.Join(kd, "escape"))
	if _, err := kodata(kd, root); err == nil || !strings.Contains(err.Error(), "leaves the module") {
		t.Errorf("link out of the module: %v", err)
	}
}
