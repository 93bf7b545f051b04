package node

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The yarn differential tests (see pnpmcorpus_test.go): yarn 1 against
// `yarn list --prod --json`, berry (node-modules linker) against what
// `yarn workspaces focus --all --production` leaves installed in a copy of
// the project, both by name@version, and the image checked with node.

// yarn1Mu: yarn 1's cache does not bear concurrent installs (one
// extracts a package while another reads it half-written).
var yarn1Mu sync.Mutex

// yarnInstall1 installs the project in dir with yarn 1.
func yarnInstall1(pm *pmTools, dir string) error {
	yarn1Mu.Lock()
	defer yarn1Mu.Unlock()
	_, err := pm.run(dir, nil, pm.yarn, "install", "--ignore-scripts", "--non-interactive", "--ignore-engines", "--no-progress",
		"--cache-folder", filepath.Join(pm.cache, "yarn1"))
	return err
}

// yarnList is yarn 1's production set: the packages of `yarn list --prod
// --json`, each name@version once (its entries that are not "shadow"
// references to a package listed elsewhere in the tree).
func yarnList(pm *pmTools, dir string) (map[string]bool, error) {
	out, err := pm.run(dir, nil, pm.yarn, "list", "--prod", "--json", "--non-interactive", "--no-progress")
	if err != nil {
		return nil, err
	}
	type node struct {
		Name     string  `json:"name"`
		Shadow   bool    `json:"shadow"`
		Children []*node `json:"children"`
	}
	var tree struct {
		Type string `json:"type"`
		Data struct {
			Trees []*node `json:"trees"`
		} `json:"data"`
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, `{"type":"tree"`) {
			if err := json.Unmarshal([]byte(l), &tree); err != nil {
				return nil, err
			}
		}
	}
	if tree.Type != "tree" {
		return nil, fmt.Errorf("yarn list printed no tree:\n%s", out)
	}
	set := map[string]bool{}
	var walk func([]*node)
	walk = func(ns []*node) {
		for _, n := range ns {
			if !n.Shadow {
				set[n.Name] = true
			}
			walk(n.Children)
		}
	}
	walk(tree.Data.Trees)
	return set, nil
}

// compareWithYarn1 installs a corpus line with yarn 1 and compares.
func compareWithYarn1(pm *pmTools, dir, line string) (string, error) {
	proj, err := corpusInstall(dir, line, func(proj string) error { return yarnInstall1(pm, proj) })
	if err != nil {
		return "", err
	}
	want, err := yarnList(pm, proj)
	if err != nil {
		return "", err
	}
	// yarn list lists what the lockfile resolved, optional packages for
	// other platforms too: those that are not installed cannot be in the
	// image.
	installed, err := installedPackages(filepath.Join(proj, "node_modules"))
	if err != nil {
		return "", err
	}
	for k := range want {
		if !installed[k] {
			delete(want, k)
		}
	}
	return compareYarnSets(dir, proj, want, "yarn list")
}

// compareYarnSets compares langbuild's closure without peers, by
// name@version, with yarn's, then checks the image of the full closure.
func compareYarnSets(tmp, proj string, want map[string]bool, ref string) (string, error) {
	noPeers, err := ourClosure(proj, yarnLockName, true)
	if err != nil {
		return "", err
	}
	got, err := installNames(proj, noPeers)
	if err != nil {
		return "", err
	}
	if d := diffSetsWith(got, want, ref); d != "" {
		return d, nil
	}
	full, err := ourClosure(proj, yarnLockName, false)
	if err != nil {
		return "", err
	}
	return imageDiff(tmp, proj, full)
}

// TestYarnCorpus runs the differential test on the corpus with yarn 1: all
// of it with LANGBUILD_CORPUS=all, otherwise a sample of three.
func TestYarnCorpus(t *testing.T) {
	pm := packageManagers(t)
	lines := corpusLines(t, 3)
	equal := runCorpus(t, lines, func(dir, line string) (string, error) { return compareWithYarn1(pm, dir, line) })
	t.Logf("yarn 1 corpus: %d/%d equal", equal, len(lines))
}

// berryInstall installs the project in dir with berry and its node-modules
// linker, building nothing.
func berryInstall(pm *pmTools, dir string) error {
	if err := os.WriteFile(filepath.Join(dir, ".yarnrc.yml"), []byte("nodeLinker: node-modules\n"), 0o644); err != nil {
		return err
	}
	_, err := pm.run(dir, pm.berryEnv(), pm.berry, "install", "--mode=skip-build")
	return err
}

// berryProduction is what berry installs for production: the packages
// `yarn workspaces focus --all --production` leaves in node_modules, in a
// copy of the project, by name@version.
func berryProduction(pm *pmTools, tmp, proj string) (map[string]bool, error) {
	prod := filepath.Join(tmp, "prod")
	if out, err := exec.Command("cp", "-a", proj, prod).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cp: %v %s", err, out)
	}
	if _, err := pm.run(prod, pm.berryEnv(), pm.berry, "workspaces", "focus", "--all", "--production"); err != nil {
		return nil, err
	}
	return installedPackages(filepath.Join(prod, "node_modules"))
}

// installedPackages lists the packages installed in a hoisted node_modules
// tree, by name@version (the name they are installed under).
func installedPackages(nodeModules string) (map[string]bool, error) {
	set := map[string]bool{}
	var walk func(nm string) error
	walk = func(nm string) error {
		ents, err := os.ReadDir(nm)
		if err != nil {
			return nil
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") || !e.IsDir() {
				continue // .bin, .yarn-state.yml; a symlink is a workspace
			}
			pkgs := []string{e.Name()}
			if strings.HasPrefix(e.Name(), "@") {
				sub, _ := os.ReadDir(filepath.Join(nm, e.Name()))
				pkgs = pkgs[:0]
				for _, s := range sub {
					if s.IsDir() {
						pkgs = append(pkgs, e.Name()+"/"+s.Name())
					}
				}
			}
			for _, name := range pkgs {
				var m manifest
				if err := readJSON(filepath.Join(nm, name, "package.json"), &m); err != nil {
					return err
				}
				set[name+"@"+m.Version] = true
				if err := walk(filepath.Join(nm, name, "node_modules")); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return set, walk(nodeModules)
}

// compareWithBerry installs a corpus line with berry and compares.
func compareWithBerry(pm *pmTools, dir, line string) (string, error) {
	proj, err := corpusInstall(dir, line, func(proj string) error { return berryInstall(pm, proj) })
	if err != nil {
		return "", err
	}
	want, err := berryProduction(pm, dir, proj)
	if err != nil {
		return "", err
	}
	return compareYarnSets(dir, proj, want, "yarn focus --production")
}

// TestYarnBerryCorpus runs the differential test on the corpus with yarn
// 4: all of it with LANGBUILD_CORPUS=all, otherwise a sample of three.
func TestYarnBerryCorpus(t *testing.T) {
	pm := packageManagers(t)
	lines := corpusLines(t, 3)
	equal := runCorpus(t, lines, func(dir, line string) (string, error) { return compareWithBerry(pm, dir, line) })
	t.Logf("yarn berry corpus: %d/%d equal", equal, len(lines))
}

// TestYarnWorkspaces: the monorepo with yarn 1 and with berry.
func TestYarnWorkspaces(t *testing.T) {
	pm := packageManagers(t)
	for _, tc := range []struct {
		name    string
		wsRange string
		install func(dir string) error
		want    func(tmp, dir string) (map[string]bool, error)
	}{
		{"yarn 1", "^1.0.0", func(dir string) error { return yarnInstall1(pm, dir) }, func(_, dir string) (map[string]bool, error) { return yarnList(pm, dir) }},
		{"berry", "workspace:^", func(dir string) error { return berryInstall(pm, dir) }, func(tmp, dir string) (map[string]bool, error) { return berryProduction(pm, tmp, dir) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "p")
			writeWorkspaces(t, dir, tc.wsRange)
			if err := tc.install(dir); err != nil {
				t.Fatal(err)
			}
			want, err := tc.want(tmp, dir)
			if err != nil {
				t.Fatal(err)
			}
			// Workspaces are the project's own, not packages yarn lists.
			for k := range want {
				if strings.HasPrefix(k, "a@") || strings.HasPrefix(k, "b@") {
					delete(want, k)
				}
			}
			d, err := compareYarnSets(tmp, dir, want, tc.name)
			if err != nil || d != "" {
				t.Errorf("%v %s", err, d)
			}
			got, err := ourClosure(dir, yarnLockName, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, ws := range []string{"packages/a", "packages/b"} {
				if !got[ws] {
					t.Errorf("the workspace %s is not in the closure", ws)
				}
			}
			for k := range got {
				for _, dev := range []string{"semver", "minimist", "is-number"} {
					if installName(k) == dev {
						t.Errorf("%s, a dev dependency, is in the production closure", k)
					}
				}
			}
		})
	}
}
