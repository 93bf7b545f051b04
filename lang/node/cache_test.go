package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

// age sets every file and directory of dir an hour back, as if npm had
// installed them long before the build: stamps of files written just now
// vouch for nothing (see racy).
func age(t testing.TB, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Type()&os.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// depsKey is the key of the plan's dependency layer.
func depsKey(t *testing.T, p *layering.Plan) string {
	t.Helper()
	for _, l := range p.Layers {
		if l.Name == "dependencies" {
			return l.Key
		}
	}
	t.Fatal("no dependency layer")
	return ""
}

// A lockfile whose packages have integrities, and npm's hidden lockfile
// that agrees with it.
const lockWithIntegrity = `{"lockfileVersion": 3, "packages": {
  "": {"name": "app", "dependencies": {"a": "^1.0.0"}, "workspaces": ["packages/*"]},
  "node_modules/a": {"version": "1.0.0", "integrity": "sha512-a1"},
  "node_modules/w": {"link": true, "resolved": "packages/w"},
  "packages/w": {"version": "0.1.0"}
}}`

const hiddenLock = `{"lockfileVersion": 3, "packages": {
  "node_modules/a": {"version": "1.0.0", "integrity": "sha512-a1"}
}}`

func integrityProject(t *testing.T) string {
	t.Helper()
	dir := project(t, map[string]string{
		"package-lock.json":               lockWithIntegrity,
		"node_modules/.package-lock.json": hiddenLock,
		"packages/w/package.json":         `{"name": "w"}`,
		"packages/w/index.js":             "w",
	})
	os.Symlink("../packages/w", filepath.Join(dir, "node_modules/w"))
	age(t, dir)
	return dir
}

// TestDependencyRecordReused: an unchanged project is planned from the
// record, without reading node_modules (a package edited by hand goes
// unnoticed), and a lockfile rewritten with the same production entries
// is parsed again but node_modules is not walked again.
func TestDependencyRecordReused(t *testing.T) {
	dir := integrityProject(t)
	opts := lang.Options{WorkDir: t.TempDir()}
	first, err := New().Analyze(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := readRecord(recordFile(opts.WorkDir, dir))
	if err != nil || rec.Inputs == nil || rec.Closure == "" {
		t.Fatalf("record after the first analysis: %+v, %v", rec, err)
	}

	// A walk would find the version installed by hand and stop.
	write(t, dir, map[string]string{"node_modules/a/package.json": `{"version": "9.9.9"}`})
	again, err := New().Analyze(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("unchanged project: %v", err)
	}
	if !reflect.DeepEqual(first.Layers, again.Layers) {
		t.Errorf("unchanged project: layers differ:\n%+v\n%+v", first.Layers, again.Layers)
	}

	// The same lockfile written again: its stamp changes, its production
	// entries do not.
	write(t, dir, map[string]string{"package-lock.json": lockWithIntegrity + "\n"})
	if _, err := New().Analyze(context.Background(), dir, opts); err != nil {
		t.Fatalf("lockfile rewritten: %v", err)
	}

	// A workspace package is the project's own source: read every time.
	write(t, dir, map[string]string{"packages/w/new.js": "n"})
	p, err := New().Analyze(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(p)["/app/packages/w/new.js"]; got != "workspace packages" {
		t.Errorf("a new workspace file is in %q", got)
	}

	// The key carries the platform, the record does not.
	p, err = New().Analyze(context.Background(), dir, lang.Options{WorkDir: opts.WorkDir, Platform: lang.Platform{OS: "linux", Arch: "arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	if k := depsKey(t, p); k == depsKey(t, first) || !strings.Contains(k, "linux/arm64") {
		t.Errorf("arm64 key %q, amd64 key %q", k, depsKey(t, first))
	}
}

// TestDependencyRecordInvalidation: what npm does to a project (and what
// is done by hand to node_modules as a whole) is seen at the next build.
func TestDependencyRecordInvalidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
		want   string // error text, or a path the plan must hold
	}{
		{"npm update", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{
				"package-lock.json":               strings.Replace(lockWithIntegrity, `"1.0.0", "integrity": "sha512-a1"`, `"1.1.0", "integrity": "sha512-a2"`, 1),
				"node_modules/.package-lock.json": strings.Replace(hiddenLock, `"1.0.0", "integrity": "sha512-a1"`, `"1.1.0", "integrity": "sha512-a2"`, 1),
				"node_modules/a/package.json":     `{"version": "1.1.0"}`,
				"node_modules/a/new.js":           "new",
			})
		}, "/app/node_modules/a/new.js"},
		{"lockfile ahead of node_modules", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"package-lock.json": strings.Replace(lockWithIntegrity, `"1.0.0"`, `"1.1.0"`, 1)})
		}, "version 1.0.0 is installed, package-lock.json says 1.1.0"},
		{"package removed", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "node_modules/a"))
		}, "node_modules/a is missing"},
		{"hidden lockfile edited", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"node_modules/.package-lock.json": strings.Replace(hiddenLock, "sha512-a1", "sha512-other", 1)})
		}, "integrity differs"},
		{"node_modules removed", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "node_modules"))
		}, "no node_modules"},
		{"package added", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{
				"package-lock.json":           strings.Replace(lockWithIntegrity, `"dependencies": {"a": "^1.0.0"}`, `"dependencies": {"a": "^1.0.0", "d": "^4.0.0"}}, "node_modules/d": {"version": "4.0.0"`, 1),
				"node_modules/d/package.json": `{"version": "4.0.0"}`,
			})
		}, "/app/node_modules/d/package.json"},
		{"bin link added", func(t *testing.T, dir string) {
			os.Symlink("../a/index.js", filepath.Join(dir, "node_modules/.bin/a2"))
		}, "/app/node_modules/.bin/a2"},
		{"shrinkwrap added", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"npm-shrinkwrap.json": strings.Replace(lockWithIntegrity, `"1.0.0"`, `"2.0.0"`, 1)})
		}, "npm-shrinkwrap.json says 2.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := integrityProject(t)
			opts := lang.Options{WorkDir: t.TempDir()}
			if _, err := New().Analyze(context.Background(), dir, opts); err != nil {
				t.Fatal(err)
			}
			tc.change(t, dir)
			p, err := New().Analyze(context.Background(), dir, opts)
			switch {
			case strings.HasPrefix(tc.want, "/app/"):
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := paths(p)[tc.want]; !ok {
					t.Errorf("the plan lacks %s", tc.want)
				}
			case err == nil || !strings.Contains(err.Error(), tc.want):
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestDependencyRecordRacy: files written just before the analysis are
// read again at the next build, and recorded once they are older.
func TestDependencyRecordRacy(t *testing.T) {
	dir := project(t, nil) // written just now
	opts := lang.Options{WorkDir: t.TempDir()}
	if _, err := New().Analyze(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	file := recordFile(opts.WorkDir, dir)
	if rec, err := readRecord(file); err != nil || rec.Inputs != nil || rec.Closure != "" {
		t.Errorf("racy stamps recorded: %+v, %v", rec.Inputs, err)
	}
	age(t, dir)
	if _, err := New().Analyze(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	if rec, err := readRecord(file); err != nil || rec.Inputs == nil || rec.Closure == "" {
		t.Errorf("stamps of old files not recorded: %+v, %v", rec.Inputs, err)
	}
}

func TestRecordFormat(t *testing.T) {
	rec := depsRecord{
		V: depsRecordVersion,
		Inputs: []fileStamp{
			{Name: "package-lock.json", Size: 12, MTime: 1700000000123456789, Inode: 42, Mode: 0o644},
			{Name: "npm-shrinkwrap.json", Absent: true},
		},
		Closure: "abc",
		Deps: []layering.Layer{{Name: "dependencies", Key: "node_modules/a\x001.0.0\x00", Entries: []layering.Entry{
			{Path: "/app/node_modules/a", Type: layering.TypeDir},
			{Path: "/app/node_modules/a/x.js", Type: layering.TypeFile, Source: "/p/node_modules/a/x.js", Mode: 0o755, UID: 1, GID: 2},
		}}},
		Links:      []layering.Entry{{Path: "/app/node_modules/.bin/a", Type: layering.TypeSymlink, Linkname: "../a/x.js"}},
		Native:     []string{"node_modules/a"},
		Workspaces: []string{"packages/w"},
	}
	b, err := encodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRecord(string(b))
	if err != nil || !reflect.DeepEqual(got, rec) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, rec)
	}
	// A cut record is no record; a damaged one decodes or fails, never panics.
	for n := range len(b) {
		if _, err := decodeRecord(string(b[:n])); err == nil {
			t.Errorf("a record cut at %d of %d bytes was read", n, len(b))
		}
		bad := []byte(string(b))
		bad[n] ^= 0xff
		decodeRecord(string(bad))
	}
	if _, err := encodeRecord(depsRecord{Links: []layering.Entry{{Path: "/x", Data: []byte("d")}}}); err == nil {
		t.Error("an entry with data was recorded")
	}
}

// BenchmarkAnalyzeUnchanged plans an unchanged project with 1,000 installed
// packages (bench/scale.sh's), and validates the plan, as every build does.
func BenchmarkAnalyzeUnchanged(b *testing.B) {
	dir := b.TempDir()
	files := map[string]string{"package.json": `{"name": "app", "main": "index.js"}`, "index.js": "x"}
	var lock strings.Builder
	var root []string
	for i := range 1000 {
		root = append(root, fmt.Sprintf(`"pkg%d": "1.0.0"`, i))
	}
	lock.WriteString(`{"lockfileVersion": 3, "packages": {"": {"name": "app", "dependencies": {` + strings.Join(root, ", ") + `}}`)
	for i := range 1000 {
		name := fmt.Sprintf("pkg%d", i)
		fmt.Fprintf(&lock, `, "node_modules/%s": {"version": "1.0.0"}`, name)
		files["node_modules/"+name+"/package.json"] = `{"version": "1.0.0"}`
		for j := range 5 {
			files[fmt.Sprintf("node_modules/%s/lib/f%d.js", name, j)] = "module.exports = 1;\n"
		}
	}
	files["package-lock.json"] = lock.String() + "}}"
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	benchmarkUnchanged(b, dir)
}

// benchmarkUnchanged plans the project in dir, installed an hour ago, once,
// then again and again, validating each plan, as every build does.
func benchmarkUnchanged(b *testing.B, dir string) {
	age(b, dir)
	opts := lang.Options{WorkDir: b.TempDir()}
	if _, err := New().Analyze(context.Background(), dir, opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := New().Analyze(context.Background(), dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestInstalledRecord: a pnpm or yarn project unchanged is planned from the
// record without walking node_modules (a package edited by hand goes
// unnoticed, as with npm); a lockfile written again with the same bytes is
// not walked again either; what the package manager changes on an install
// is walked again (and the hand edit then found).
func TestInstalledRecord(t *testing.T) {
	const edited = "node_modules/.pnpm/b@1.0.0/node_modules/b/package.json"
	for _, tc := range []struct {
		name    string
		project func(testing.TB) string
		edit    string // a package.json edited by hand
		change  func(t *testing.T, dir string)
		walked  bool
	}{
		{"pnpm unchanged", pnpmProject, edited, func(*testing.T, string) {}, false},
		{"pnpm lockfile rewritten", pnpmProject, edited, func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"pnpm-lock.yaml": testPnpmLock})
		}, false},
		{"pnpm lockfile changed", pnpmProject, edited, func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"pnpm-lock.yaml": testPnpmLock + "\n"})
		}, true},
		{"pnpm install of another package", pnpmProject, edited, func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"node_modules/.pnpm/x@1.0.0/node_modules/x/package.json": `{}`})
		}, true},
		{"pnpm state rewritten", pnpmProject, edited, func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"node_modules/.modules.yaml": "layoutVersion: 5\n# again\n"})
		}, true},
		{"yarn unchanged", func(t testing.TB) string { return yarnProject(t, false) }, "node_modules/b/package.json", func(*testing.T, string) {}, false},
		{"yarn install", func(t testing.TB) string { return yarnProject(t, false) }, "node_modules/b/package.json", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"node_modules/.yarn-integrity": `{"again": true}`})
		}, true},
		{"berry install", func(t testing.TB) string { return yarnProject(t, true) }, "node_modules/b/package.json", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"node_modules/.yarn-state.yml": "__metadata:\n  version: 1\n# again\n"})
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.project(t)
			age(t, dir)
			opts := hostOptions()
			opts.WorkDir = t.TempDir()
			if _, err := New().Analyze(t.Context(), dir, opts); err != nil {
				t.Fatal(err)
			}
			if rec, err := readRecord(recordFile(opts.WorkDir, dir)); err != nil || rec.Inputs == nil || rec.Closure == "" {
				t.Fatalf("record after the first analysis: %+v, %v", rec.Inputs, err)
			}
			write(t, dir, map[string]string{tc.edit: `{"name": "b", "version": "1.0.1"}`})
			os.Chtimes(filepath.Join(dir, tc.edit), time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
			tc.change(t, dir)
			_, err := New().Analyze(t.Context(), dir, opts)
			if walked := err != nil && strings.Contains(err.Error(), "version 1.0.1 is installed"); walked != tc.walked {
				t.Errorf("walked %v, want %v (%v)", walked, tc.walked, err)
			}
		})
	}
}

// BenchmarkAnalyzeUnchangedPnpm is BenchmarkAnalyzeUnchanged for a pnpm
// project with 1,000 packages laid out as pnpm lays them out: 50 direct
// dependencies linked from the project's node_modules into
// node_modules/.pnpm, each depending on 19 others linked beside it.
func BenchmarkAnalyzeUnchangedPnpm(b *testing.B) {
	dir := b.TempDir()
	files := map[string]string{"index.js": "x"}
	var deps, imp, pkgs, snaps strings.Builder
	links := map[string]string{}
	const direct, each = 50, 19
	for i := range 1000 {
		name := fmt.Sprintf("pkg%d", i)
		store := "node_modules/.pnpm/" + name + "@1.0.0/node_modules/"
		fmt.Fprintf(&pkgs, "  %s@1.0.0:\n    resolution: {integrity: sha512-%d}\n\n", name, i)
		var own []string
		if i < direct {
			fmt.Fprintf(&deps, `%q: "1.0.0",`, name)
			fmt.Fprintf(&imp, "      %s:\n        specifier: 1.0.0\n        version: 1.0.0\n", name)
			links["node_modules/"+name] = ".pnpm/" + name + "@1.0.0/node_modules/" + name
			fmt.Fprintf(&snaps, "  %s@1.0.0:\n    dependencies:\n", name)
			for j := range each {
				dep := fmt.Sprintf("pkg%d", direct+i*each+j)
				fmt.Fprintf(&snaps, "      %s: 1.0.0\n", dep)
				own = append(own, fmt.Sprintf(`%q: "1.0.0"`, dep))
				links[store+dep] = "../../" + dep + "@1.0.0/node_modules/" + dep
			}
			snaps.WriteString("\n")
		} else {
			fmt.Fprintf(&snaps, "  %s@1.0.0: {}\n\n", name)
		}
		files[store+name+"/package.json"] = `{"name": "` + name + `", "version": "1.0.0", "dependencies": {` + strings.Join(own, ", ") + `}}`
		for j := range 5 {
			files[fmt.Sprintf("%s%s/lib/f%d.js", store, name, j)] = "module.exports = 1;\n"
		}
	}
	files["package.json"] = `{"name": "app", "main": "index.js", "dependencies": {` + strings.TrimSuffix(deps.String(), ",") + `}}`
	files["pnpm-lock.yaml"] = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n" + imp.String() +
		"\npackages:\n\n" + pkgs.String() + "snapshots:\n\n" + snaps.String()
	write(b, dir, files)
	writeLinks(b, dir, links)
	benchmarkUnchanged(b, dir)
}
