package node

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The differential test: the production closure langbuild computes from a
// lockfile is the set `npm ls --omit=dev --all --parseable` prints for it,
// for real packages whose lockfiles npm writes in the test setup, and again
// after the lockfile's dev flags are scrambled (npm recomputes them; so must
// langbuild). npm reaches the registry its own configuration names.

// corpusProject turns a corpus line into a package.json.
func corpusProject(line string) (map[string]any, error) {
	pkg := map[string]any{"name": "corpus-app", "version": "1.0.0", "private": true}
	fields := map[string]string{"prod": "dependencies", "dev": "devDependencies", "opt": "optionalDependencies", "peer": "peerDependencies"}
	for _, part := range strings.Fields(line) {
		kind, list, ok := strings.Cut(part, "=")
		field, known := fields[kind]
		if !ok || !known {
			return nil, fmt.Errorf("corpus line %q: %q is not prod=, dev=, opt= or peer=", line, part)
		}
		deps := map[string]string{}
		for _, spec := range strings.Split(list, ",") {
			// name@range, @scope/name@range, or alias=npm:name@range
			if alias, target, ok := strings.Cut(spec, "=npm:"); ok {
				deps[alias] = "npm:" + target
				continue
			}
			i := strings.LastIndex(spec, "@")
			if i <= 0 {
				return nil, fmt.Errorf("corpus line %q: %q is not name@range", line, spec)
			}
			deps[spec[:i]] = spec[i+1:]
		}
		pkg[field] = deps
	}
	return pkg, nil
}

// npmLs is npm's production set for the lockfile in dir, as install paths.
func npmLs(t *testing.T, dir string) (map[string]bool, error) {
	out, err := exec.Command("npm", "ls", "--omit=dev", "--all", "--parseable", "--package-lock-only", "--prefix", dir).Output()
	if err != nil && len(out) == 0 {
		// npm ls exits 1 on peer problems but still prints the tree.
		return nil, fmt.Errorf("npm ls: %v", err)
	}
	set := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		r, err := filepath.Rel(dir, l)
		if err != nil || r == "." || l == "" {
			continue
		}
		set[filepath.ToSlash(r)] = true
	}
	return set, nil
}

// ourSet is langbuild's production closure as npm ls prints it: a linked
// package (a workspace) by its link in node_modules, not its directory.
func ourSet(lock lockfile) (map[string]bool, error) {
	prod, _, err := prodClosure(lock, "package-lock.json")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for k := range prod {
		if isInstallPath(k) {
			out[k] = true
		}
	}
	return out, nil
}

func diffSets(got, want map[string]bool) string { return diffSetsWith(got, want, "npm") }

// diffSetsWith names the reference ref.
func diffSetsWith(got, want map[string]bool, ref string) string {
	var extra, missing []string
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	if len(extra) == 0 && len(missing) == 0 {
		return ""
	}
	sort.Strings(extra)
	sort.Strings(missing)
	cut := func(xs []string) []string {
		if len(xs) > 8 {
			return append(xs[:8:8], fmt.Sprintf("… %d more", len(xs)-8))
		}
		return xs
	}
	return fmt.Sprintf("langbuild %d, %s %d; only langbuild: %v; only %s: %v", len(got), ref, len(want), cut(extra), ref, cut(missing))
}

// scramble flips the dev flags of a lockfile: production packages marked
// dev, dev packages unmarked, as stale lockfiles in the wild have them.
func scramble(lockJSON []byte, seed int64) ([]byte, error) {
	var raw map[string]any
	if err := json.Unmarshal(lockJSON, &raw); err != nil {
		return nil, err
	}
	pkgs, _ := raw["packages"].(map[string]any)
	keys := make([]string, 0, len(pkgs))
	for k := range pkgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	r := rand.New(rand.NewSource(seed))
	for _, k := range keys {
		e, _ := pkgs[k].(map[string]any)
		if k == "" || e == nil || r.Intn(2) == 0 {
			continue
		}
		if e["dev"] == true {
			delete(e, "dev")
		} else {
			e["dev"] = true
		}
		delete(e, "devOptional")
	}
	return json.MarshalIndent(raw, "", "  ")
}

func readNodeCorpus(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// TestNpmCorpus runs the differential test on testdata/corpus.txt: all of
// it with LANGBUILD_CORPUS=all (scripts/node-corpus.sh), otherwise a fixed
// sample. Without npm the test is skipped, unless LANGBUILD_REQUIRE_NPM is
// set (scripts/test.sh sets it), and then it fails.
func TestNpmCorpus(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("LANGBUILD_REQUIRE_NPM") != "" {
			t.Fatal("no npm on PATH")
		}
		t.Skip("no npm on PATH")
	}
	lines := corpusLines(t, 6)
	equal := runCorpus(t, lines, compareWithNpm)
	t.Logf("npm corpus: %d/%d equal (each also with scrambled dev flags)", equal, len(lines))
}

// compareWithNpm writes the project, has npm lock it, and compares the
// sets, on npm's lockfile and on a scrambled copy.
func compareWithNpm(dir, line string) (string, error) {
	pkg, err := corpusProject(line)
	if err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(pkg, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "package.json"), b, 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command("npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--legacy-peer-deps=false")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install --package-lock-only: %v\n%s", err, out)
	}
	for round := 0; round < 2; round++ {
		lockPath := filepath.Join(dir, "package-lock.json")
		if round == 1 {
			orig, err := os.ReadFile(lockPath)
			if err != nil {
				return "", err
			}
			s, err := scramble(orig, 1)
			if err != nil {
				return "", err
			}
			if err := os.WriteFile(lockPath, s, 0o644); err != nil {
				return "", err
			}
		}
		want, err := npmLs(nil, dir)
		if err != nil {
			return "", err
		}
		var lock lockfile
		if err := readJSON(lockPath, &lock); err != nil {
			return "", err
		}
		got, err := ourSet(lock)
		if err != nil {
			return "", err
		}
		if d := diffSets(got, want); d != "" {
			if round == 1 {
				d = "with scrambled flags: " + d
			}
			return d, nil
		}
	}
	return "", nil
}

// TestNpmWorkspaces: a project with workspaces that depend on each other,
// each with dev dependencies of its own, against npm.
func TestNpmWorkspaces(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("LANGBUILD_REQUIRE_NPM") != "" {
			t.Fatal("no npm on PATH")
		}
		t.Skip("no npm on PATH")
	}
	dir := t.TempDir()
	files := map[string]string{
		"package.json":            `{"name": "root", "version": "1.0.0", "private": true, "workspaces": ["packages/*"], "dependencies": {"ms": "^2.1.3"}, "devDependencies": {"semver": "^7.6.0"}}`,
		"packages/a/package.json": `{"name": "a", "version": "1.0.0", "dependencies": {"debug": "^4.4.0"}, "devDependencies": {"minimist": "^1.2.8"}}`,
		"packages/b/package.json": `{"name": "b", "version": "1.0.0", "dependencies": {"a": "^1.0.0", "ms": "^2.0.0"}, "devDependencies": {"is-number": "^7.0.0"}}`,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install: %v\n%s", err, out)
	}
	want, err := npmLs(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	var lock lockfile
	if err := readJSON(filepath.Join(dir, "package-lock.json"), &lock); err != nil {
		t.Fatal(err)
	}
	got, err := ourSet(lock)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffSets(got, want); d != "" {
		t.Errorf("%s", d)
	}
	for _, dev := range []string{"node_modules/semver", "node_modules/minimist", "node_modules/is-number"} {
		if got[dev] {
			t.Errorf("%s, a dev dependency, is in the production closure", dev)
		}
	}
}
