package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

// The differential tests of pnpm and yarn projects: real packages from
// testdata/corpus.txt installed by the package manager itself into a temp
// directory (from the registry the user's npm, pnpm or yarn configuration
// names), and the production closure langbuild computes from the installed
// tree compared with the package manager's own answer: `pnpm list --prod`,
// `yarn list --prod` (yarn 1), the packages `yarn workspaces focus
// --production` leaves installed (berry). Yarn does not install peer
// dependencies and leaves them out of its listings, so for yarn the
// comparison is with langbuild's closure without peers. Then, for every
// manager, the image itself is checked with node: laid out from the plan,
// every dependency each production package asks for must resolve in it as
// on disk (to the same package when that is in the image, to nothing when
// it is not).

// pmTools are the package managers the tests run, each a command line.
type pmTools struct {
	pnpm, yarn, berry []string
	cache             string // their stores and caches
	registry          string // npm's registry, for berry, which does not read npm's configuration
}

var (
	pmOnce  sync.Once
	pmFound *pmTools
	pmErr   error
)

// packageManagers finds pnpm 9 or later and yarn 1 on PATH, or installs
// them (and berry, yarn 4, always) with npm into the user's cache, once.
// Without npm the test is skipped, unless LANGBUILD_REQUIRE_NPM is set.
func packageManagers(t *testing.T) *pmTools {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("LANGBUILD_REQUIRE_NPM") != "" {
			t.Fatal("no npm on PATH")
		}
		t.Skip("no npm on PATH")
	}
	pmOnce.Do(func() { pmFound, pmErr = setupPackageManagers() })
	if pmErr != nil {
		if os.Getenv("LANGBUILD_REQUIRE_NPM") != "" {
			t.Fatal(pmErr)
		}
		t.Skip(pmErr)
	}
	return pmFound
}

func setupPackageManagers() (*pmTools, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return nil, err
	}
	cache := filepath.Join(base, "langbuild-test", "node-pm")
	tools := &pmTools{cache: cache}
	version := func(cmd string) string {
		out, err := exec.Command(cmd, "--version").Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	if v := version("pnpm"); v != "" && !strings.HasPrefix(v, "1.") && !strings.HasPrefix(v, "6.") && !strings.HasPrefix(v, "7.") && !strings.HasPrefix(v, "8.") {
		tools.pnpm = []string{"pnpm"}
	}
	if v := version("yarn"); strings.HasPrefix(v, "1.") {
		tools.yarn = []string{"yarn"}
	}
	// Each from its own script: pnpm and both yarns would fight over the
	// bin links of one prefix.
	nm := filepath.Join(cache, "node_modules")
	pnpmJS := filepath.Join(nm, "pnpm", "bin", "pnpm.cjs")
	yarnJS := filepath.Join(nm, "yarn", "bin", "yarn.js")
	berryJS := filepath.Join(nm, "@yarnpkg", "cli-dist", "bin", "yarn.js")
	var want []string
	if _, err := os.Stat(pnpmJS); tools.pnpm == nil && err != nil {
		want = append(want, "pnpm@9")
	}
	if _, err := os.Stat(yarnJS); tools.yarn == nil && err != nil {
		want = append(want, "yarn@1")
	}
	if _, err := os.Stat(berryJS); err != nil {
		want = append(want, "@yarnpkg/cli-dist@4")
	}
	if len(want) > 0 {
		os.MkdirAll(cache, 0o755)
		cmd := exec.Command("npm", append([]string{"install", "--prefix", cache, "--no-audit", "--no-fund", "--ignore-scripts"}, want...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("installing %v with npm: %v\n%s", want, err, out)
		}
	}
	if tools.pnpm == nil {
		tools.pnpm = []string{"node", pnpmJS}
	}
	if tools.yarn == nil {
		tools.yarn = []string{"node", yarnJS}
	}
	tools.berry = []string{"node", berryJS}
	out, err := exec.Command("npm", "config", "get", "registry").Output()
	if err != nil {
		return nil, fmt.Errorf("npm config get registry: %v", err)
	}
	tools.registry = strings.TrimSpace(string(out))
	return tools, nil
}

// run runs a package manager in dir, returning its stdout.
func (pm *pmTools) run(dir string, env []string, cmdline []string, args ...string) (string, error) {
	cmd := exec.Command(cmdline[0], append(cmdline[1:], args...)...)
	cmd.Dir = dir
	// Not CI's defaults (a frozen lockfile the test has not written yet).
	cmd.Env = append(append(os.Environ(), "CI=", "YARN_ENABLE_TELEMETRY=0", "YARN_ENABLE_IMMUTABLE_INSTALLS=false"), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v\n%s%s", filepath.Base(cmdline[len(cmdline)-1]), strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out), nil
}

// pnpmInstall installs the project in dir with pnpm, running no scripts.
func (pm *pmTools) pnpmInstall(dir string) error {
	_, err := pm.run(dir, nil, pm.pnpm, "install", "--ignore-scripts", "--no-frozen-lockfile", "--store-dir", filepath.Join(pm.cache, "pnpm-store"))
	return err
}

// berryEnv points berry at npm's registry and keeps its cache in ours.
func (pm *pmTools) berryEnv() []string {
	return []string{"YARN_NPM_REGISTRY_SERVER=" + pm.registry, "YARN_GLOBAL_FOLDER=" + filepath.Join(pm.cache, "berry"), "YARN_ENABLE_GLOBAL_CACHE=true", "YARN_IGNORE_PATH=1"}
}

// corpusLines is the corpus, or a fixed sample of n lines of it unless
// LANGBUILD_CORPUS=all.
func corpusLines(t *testing.T, n int) []string {
	lines := readNodeCorpus(t)
	if os.Getenv("LANGBUILD_CORPUS") == "all" {
		return lines
	}
	var sample []string
	for i := 0; i < n; i++ {
		sample = append(sample, lines[i*len(lines)/n])
	}
	return sample
}

// corpusInstall writes a corpus line's package.json and an index.js in a
// new directory below dir and has install install it there.
func corpusInstall(dir, line string, install func(proj string) error) (string, error) {
	pkg, err := corpusProject(line)
	if err != nil {
		return "", err
	}
	proj := filepath.Join(dir, "p")
	b, _ := json.MarshalIndent(pkg, "", "  ")
	os.MkdirAll(proj, 0o755)
	if err := os.WriteFile(filepath.Join(proj, "package.json"), b, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(proj, "index.js"), []byte("console.log('corpus')\n"), 0o644); err != nil {
		return "", err
	}
	return proj, install(proj)
}

// ourClosure is langbuild's walk of the project in dir: the real
// directories of its production packages (workspaces included, the
// project not).
func ourClosure(dir, lockName string, noPeers bool) (map[string]bool, error) {
	var pkg packageJSON
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	proj, err := readPMProject(dir, pkg, lockName, data)
	if err != nil {
		return nil, err
	}
	proj.noPeers = noPeers
	lock, err := installedClosure(dir, rootManifest(pkg), proj)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for k, e := range lock.Packages {
		if !e.Link {
			out[k] = true
		}
	}
	return out, nil
}

// installNames turns real package directories into the name@version of
// each, by the name it is installed under (an alias's) and the version of
// its package.json.
func installNames(dir string, reals map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	for r := range reals {
		if !isInstallPath(r) {
			continue // a workspace
		}
		var m manifest
		if err := readJSON(filepath.Join(dir, filepath.FromSlash(r), "package.json"), &m); err != nil {
			return nil, err
		}
		out[installName(r)+"@"+m.Version] = true
	}
	return out, nil
}

// installName is the name a package is installed under: what follows the
// last node_modules/ of its path.
func installName(p string) string {
	if i := strings.LastIndex(p, "node_modules/"); i >= 0 {
		return p[i+len("node_modules/"):]
	}
	return p
}

// analyzeForTest plans the project for this machine's platform.
func analyzeForTest(dir string) (*layering.Plan, error) {
	host := lang.Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
	return (&Analyzer{Options: Options{AllowNative: true}}).Analyze(context.Background(), dir, lang.Options{Platform: host})
}

// resolveScript prints, for each package it is given (real paths relative
// to the project) and each name in its dependencies, optionalDependencies
// and peerDependencies, where Node finds that name from the package on disk
// and in the image (the real path of the directory, relative to the root;
// "" for nowhere). The lookup paths are Node's own
// (Module._nodeModulePaths), bounded by the root.
const resolveScript = `
const fs = require("fs"), path = require("path"), Module = require("module");
const [disk, image, listFile] = process.argv.slice(1).map((p, i) => i < 2 ? fs.realpathSync(p) : p);
function find(root, from, name) {
  for (const dir of Module._nodeModulePaths(path.join(root, from))) {
    if (dir !== path.join(root, "node_modules") && !dir.startsWith(root + path.sep)) break;
    const c = path.join(dir, name);
    if (fs.existsSync(path.join(c, "package.json"))) return path.relative(root, fs.realpathSync(c));
  }
  return "";
}
const out = [];
for (const p of JSON.parse(fs.readFileSync(listFile, "utf8"))) {
  const pj = JSON.parse(fs.readFileSync(path.join(disk, p, "package.json"), "utf8"));
  const names = new Set([pj.dependencies, pj.optionalDependencies, pj.peerDependencies].flatMap(m => Object.keys(m || {})));
  for (const n of [...names].sort()) out.push([p, n, find(disk, p, n), find(image, p, n)]);
}
console.log(JSON.stringify(out));
`

// checkImage lays the plan's directories, symlinks and package.json files
// out under a temp directory and has node resolve, in it and on disk, the
// dependencies of every package of the closure (and of the project).
// It returns the differences.
func checkImage(tmp, dir string, p *layering.Plan, closure map[string]bool) ([]string, error) {
	image := filepath.Join(tmp, "image")
	for _, l := range p.Layers {
		for _, e := range l.Entries {
			rel, ok := strings.CutPrefix(e.Path, AppDir+"/")
			if !ok {
				continue
			}
			dst := filepath.Join(image, filepath.FromSlash(rel))
			switch {
			case e.Type == layering.TypeDir:
				os.MkdirAll(dst, 0o755)
			case e.Type == layering.TypeSymlink:
				os.MkdirAll(filepath.Dir(dst), 0o755)
				if err := os.Symlink(e.Linkname, dst); err != nil {
					return nil, err
				}
			case path.Base(e.Path) == "package.json":
				os.MkdirAll(filepath.Dir(dst), 0o755)
				b, err := os.ReadFile(e.Source)
				if err != nil {
					return nil, err
				}
				if err := os.WriteFile(dst, b, 0o644); err != nil {
					return nil, err
				}
			}
		}
	}
	list := []string{""}
	for k := range closure {
		list = append(list, k)
	}
	sort.Strings(list)
	b, _ := json.Marshal(list)
	listFile := filepath.Join(tmp, "packages.json")
	if err := os.WriteFile(listFile, b, 0o644); err != nil {
		return nil, err
	}
	out, err := exec.Command("node", "-e", resolveScript, dir, image, listFile).Output()
	if err != nil {
		return nil, fmt.Errorf("node: %v", err)
	}
	var rows [][4]string
	if err := json.Unmarshal(out, &rows); err != nil {
		return nil, err
	}
	var diffs []string
	for _, r := range rows {
		from, name, onDisk, inImage := r[0], r[1], r[2], r[3]
		want := ""
		if closure[onDisk] {
			want = onDisk
		}
		if inImage != want {
			if from == "" {
				from = "the project"
			}
			diffs = append(diffs, fmt.Sprintf("from %s, %s is %q on disk, %q in the image", from, name, onDisk, inImage))
		}
	}
	return diffs, nil
}

// corpusResult is one project's comparison.
type corpusResult struct {
	line, diff, err string
}

// runCorpus compares each line with compare, four at a time, reports each
// difference and returns how many were equal.
func runCorpus(t *testing.T, lines []string, compare func(dir, line string) (string, error)) int {
	results := make([]corpusResult, len(lines))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, line := range lines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = corpusResult{line: line}
			diff, err := compare(t.TempDir(), line)
			if err != nil {
				results[i].err = err.Error()
			}
			results[i].diff = diff
		}()
	}
	wg.Wait()
	equal := 0
	for _, r := range results {
		switch {
		case r.err != "":
			t.Errorf("%s: %s", r.line, r.err)
		case r.diff != "":
			t.Errorf("%s: %s", r.line, r.diff)
		default:
			equal++
		}
	}
	return equal
}

// imageDiff checks the image of the project in dir with node.
func imageDiff(tmp, dir string, closure map[string]bool) (string, error) {
	p, err := analyzeForTest(dir)
	if err != nil {
		return "", fmt.Errorf("analyze: %w", err)
	}
	diffs, err := checkImage(tmp, dir, p, closure)
	if err != nil {
		return "", err
	}
	if len(diffs) > 0 {
		if len(diffs) > 8 {
			diffs = append(diffs[:8:8], fmt.Sprintf("… %d more", len(diffs)-8))
		}
		return "the image resolves otherwise: " + strings.Join(diffs, "; "), nil
	}
	return "", nil
}

// pnpmList is pnpm's production set, from `pnpm list --prod --depth
// Infinity --json`: the packages under each project's dependencies, as
// real paths relative to the project. Not --parseable, which also prints
// the packages pnpm hoisted publicly into node_modules without any
// package.json asking for them (its "unsavedDependencies", eslint's by
// default: dev packages here), and not the optional packages the
// lockfile lists for other platforms, which are not installed.
func pnpmList(pm *pmTools, dir string, recursive bool) (map[string]bool, error) {
	args := []string{"list", "--prod", "--depth", "Infinity", "--json"}
	if recursive {
		args = append(args, "--recursive")
	}
	out, err := pm.run(dir, nil, pm.pnpm, args...)
	if err != nil {
		return nil, err
	}
	type node struct {
		Path         string           `json:"path"`
		Dependencies map[string]*node `json:"dependencies"`
		Optional     map[string]*node `json:"optionalDependencies"`
	}
	var projects []*node
	if err := json.Unmarshal([]byte(out), &projects); err != nil {
		return nil, fmt.Errorf("pnpm list --json: %v", err)
	}
	set := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		r, err := filepath.Rel(dir, n.Path)
		if err != nil || strings.HasPrefix(r, "..") {
			return
		}
		if _, err := os.Stat(n.Path); err != nil {
			return // an optional package for another platform
		}
		r = filepath.ToSlash(r)
		if r != "." {
			if set[r] {
				return
			}
			set[r] = true
		}
		for _, m := range []map[string]*node{n.Dependencies, n.Optional} {
			for _, c := range m {
				walk(c)
			}
		}
	}
	for _, p := range projects {
		walk(p)
	}
	return set, nil
}

// compareWithPnpm installs a corpus line with pnpm and compares.
func compareWithPnpm(pm *pmTools, dir, line string) (string, error) {
	proj, err := corpusInstall(dir, line, pm.pnpmInstall)
	if err != nil {
		return "", err
	}
	want, err := pnpmList(pm, proj, false)
	if err != nil {
		return "", err
	}
	got, err := ourClosure(proj, pnpmLockName, false)
	if err != nil {
		return "", err
	}
	if d := diffSetsWith(got, want, "pnpm list"); d != "" {
		return d, nil
	}
	return imageDiff(dir, proj, got)
}

// TestPnpmCorpus runs the differential test on the corpus with pnpm: all of
// it with LANGBUILD_CORPUS=all, otherwise a sample of three.
func TestPnpmCorpus(t *testing.T) {
	pm := packageManagers(t)
	lines := corpusLines(t, 3)
	equal := runCorpus(t, lines, func(dir, line string) (string, error) { return compareWithPnpm(pm, dir, line) })
	t.Logf("pnpm corpus: %d/%d equal", equal, len(lines))
}

// workspaceFiles is a monorepo whose workspaces depend on each other, each
// with dev dependencies of its own (as TestNpmWorkspaces').
var workspaceFiles = map[string]string{
	"package.json":            `{"name": "root", "version": "1.0.0", "private": true, "workspaces": ["packages/*"], "dependencies": {"ms": "^2.1.3"}, "devDependencies": {"semver": "^7.6.0"}}`,
	"index.js":                "require('ms')\n",
	"packages/a/package.json": `{"name": "a", "version": "1.0.0", "dependencies": {"debug": "^4.4.0"}, "devDependencies": {"minimist": "^1.2.8"}}`,
	"packages/b/package.json": `{"name": "b", "version": "1.0.0", "dependencies": {"a": "WS", "ms": "^2.0.0"}, "devDependencies": {"is-number": "^7.0.0"}}`,
}

func writeWorkspaces(t *testing.T, dir, wsRange string) {
	for name, content := range workspaceFiles {
		write(t, dir, map[string]string{name: strings.ReplaceAll(content, `"WS"`, `"`+wsRange+`"`)})
	}
}

// TestPnpmWorkspaces: the monorepo, with pnpm-workspace.yaml, against
// pnpm list --recursive.
func TestPnpmWorkspaces(t *testing.T) {
	pm := packageManagers(t)
	dir := t.TempDir()
	writeWorkspaces(t, dir, "workspace:^")
	write(t, dir, map[string]string{"pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n"})
	if err := pm.pnpmInstall(dir); err != nil {
		t.Fatal(err)
	}
	want, err := pnpmList(pm, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ourClosure(dir, pnpmLockName, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffSetsWith(got, want, "pnpm list"); d != "" {
		t.Errorf("%s", d)
	}
	for k := range got {
		for _, dev := range []string{"semver@", "minimist@", "is-number@"} {
			if strings.Contains(k, "/.pnpm/"+dev) {
				t.Errorf("%s, a dev dependency, is in the production closure", k)
			}
		}
	}
	if d, err := imageDiff(t.TempDir(), dir, got); err != nil || d != "" {
		t.Errorf("%v %s", err, d)
	}
}
