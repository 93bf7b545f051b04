package node

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/langbuild/langbuild/lang"
)

// A pnpm project: a (with a peer, p, and two dependencies), b 2.0.0 under
// the alias al, an optional package for another platform, and a dev
// dependency that needs b 2.0.0 too.
const testPnpmLock = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      a:
        specifier: ^1.0.0
        version: 1.0.0(p@1.0.0)
      al:
        specifier: npm:b@^2.0.0
        version: b@2.0.0
    optionalDependencies:
      opt:
        specifier: ^1.0.0
        version: 1.0.0
    devDependencies:
      dev:
        specifier: ^1.0.0
        version: 1.0.0

packages:

  '@s/c@3.0.0':
    resolution: {integrity: sha512-c}

  a@1.0.0:
    resolution: {integrity: sha512-a}
    peerDependencies:
      p: ^1.0.0

  b@1.0.0:
    resolution: {integrity: sha512-b1}

  b@2.0.0:
    resolution: {integrity: sha512-b2}

  dev@1.0.0:
    resolution: {integrity: sha512-dev}

  opt@1.0.0:
    resolution: {integrity: sha512-opt}
    os: [darwin]

  p@1.0.0:
    resolution: {integrity: sha512-p}

snapshots:

  '@s/c@3.0.0': {}

  a@1.0.0(p@1.0.0):
    dependencies:
      '@s/c': 3.0.0
      b: 1.0.0
      p: 1.0.0

  b@1.0.0: {}

  b@2.0.0: {}

  dev@1.0.0:
    dependencies:
      b: 2.0.0

  opt@1.0.0:
    optional: true

  p@1.0.0: {}
`

// pnpmProject lays the project out as pnpm installs it.
func pnpmProject(t testing.TB) string {
	dir := t.TempDir()
	store := "node_modules/.pnpm/"
	write(t, dir, map[string]string{
		"package.json": `{"name": "app", "version": "1.0.0", "main": "index.js",
  "dependencies": {"a": "^1.0.0", "al": "npm:b@^2.0.0"}, "optionalDependencies": {"opt": "^1.0.0"}, "devDependencies": {"dev": "^1.0.0"}}`,
		"index.js":                   "require('a')",
		"pnpm-lock.yaml":             testPnpmLock,
		"node_modules/.modules.yaml": "layoutVersion: 5\n",
		"node_modules/.bin/dev":      "#!/bin/sh\nexec node ../dev/cli.js\n",
		store + "lock.yaml":          testPnpmLock,
		store + "a@1.0.0_p@1.0.0/node_modules/a/package.json": `{"name": "a", "version": "1.0.0", "dependencies": {"@s/c": "^3.0.0", "b": "^1.0.0"}, "peerDependencies": {"p": "^1.0.0"}}`,
		store + "a@1.0.0_p@1.0.0/node_modules/a/index.js":     "require('b')",
		store + "@s+c@3.0.0/node_modules/@s/c/package.json":   `{"name": "@s/c", "version": "3.0.0"}`,
		store + "b@1.0.0/node_modules/b/package.json":         `{"name": "b", "version": "1.0.0"}`,
		store + "b@2.0.0/node_modules/b/package.json":         `{"name": "b", "version": "2.0.0"}`,
		store + "p@1.0.0/node_modules/p/package.json":         `{"name": "p", "version": "1.0.0"}`,
		store + "dev@1.0.0/node_modules/dev/package.json":     `{"name": "dev", "version": "1.0.0", "dependencies": {"b": "^2.0.0"}}`,
		store + "dev@1.0.0/node_modules/dev/cli.js":           "dev",
	})
	writeLinks(t, dir, map[string]string{
		"node_modules/a":   ".pnpm/a@1.0.0_p@1.0.0/node_modules/a",
		"node_modules/al":  ".pnpm/b@2.0.0/node_modules/b",
		"node_modules/dev": ".pnpm/dev@1.0.0/node_modules/dev",
		store + "a@1.0.0_p@1.0.0/node_modules/@s/c": "../../../@s+c@3.0.0/node_modules/@s/c",
		store + "a@1.0.0_p@1.0.0/node_modules/b":    "../../b@1.0.0/node_modules/b",
		store + "a@1.0.0_p@1.0.0/node_modules/p":    "../../p@1.0.0/node_modules/p",
		store + "dev@1.0.0/node_modules/b":          "../../b@2.0.0/node_modules/b",
		// pnpm's hoisting: for a package that does not declare what it uses.
		store + "node_modules/b":    "../b@1.0.0/node_modules/b",
		store + "node_modules/@s/c": "../../@s+c@3.0.0/node_modules/@s/c",
		store + "node_modules/dev":  "../dev@1.0.0/node_modules/dev",
	})
	return dir
}

// writeLinks makes symlinks below dir: path → target.
func writeLinks(t testing.TB, dir string, links map[string]string) {
	t.Helper()
	for name, target := range links {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
}

func hostOptions() lang.Options {
	return lang.Options{Platform: lang.Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}}
}

// planEntries maps each path of the plan to its layer, and each symlink to
// its target.
func planEntries(t *testing.T, dir string) (layers, links map[string]string) {
	t.Helper()
	p, err := New().Analyze(context.Background(), dir, hostOptions())
	if err != nil {
		t.Fatal(err)
	}
	layers, links = map[string]string{}, map[string]string{}
	for _, l := range p.Layers {
		for _, e := range l.Entries {
			layers[e.Path] = l.Name
			if e.Linkname != "" {
				links[e.Path] = e.Linkname
			}
		}
	}
	return layers, links
}

func TestPnpmClosure(t *testing.T) {
	dir := pnpmProject(t)
	layers, links := planEntries(t, dir)
	const store = "/app/node_modules/.pnpm/"
	for _, p := range []string{
		store + "a@1.0.0_p@1.0.0/node_modules/a/index.js",
		store + "@s+c@3.0.0/node_modules/@s/c/package.json",
		store + "b@1.0.0/node_modules/b/package.json",
		store + "b@2.0.0/node_modules/b/package.json",
		store + "p@1.0.0/node_modules/p/package.json",
	} {
		if layers[p] != "dependencies" {
			t.Errorf("%s: in %q, want the dependencies", p, layers[p])
		}
	}
	for link, target := range map[string]string{
		"/app/node_modules/a":                       ".pnpm/a@1.0.0_p@1.0.0/node_modules/a",
		"/app/node_modules/al":                      ".pnpm/b@2.0.0/node_modules/b",
		store + "a@1.0.0_p@1.0.0/node_modules/@s/c": "../../../@s+c@3.0.0/node_modules/@s/c",
		store + "a@1.0.0_p@1.0.0/node_modules/b":    "../../b@1.0.0/node_modules/b",
		store + "a@1.0.0_p@1.0.0/node_modules/p":    "../../p@1.0.0/node_modules/p",
		store + "node_modules/b":                    "../b@1.0.0/node_modules/b",
		store + "node_modules/@s/c":                 "../../@s+c@3.0.0/node_modules/@s/c",
	} {
		if links[link] != target {
			t.Errorf("%s links to %q, want %q", link, links[link], target)
		}
	}
	for _, absent := range []string{
		"/app/node_modules/dev", store + "dev@1.0.0/node_modules/dev/cli.js", store + "dev@1.0.0/node_modules/b",
		store + "node_modules/dev", "/app/node_modules/.bin/dev", "/app/pnpm-lock.yaml", store + "lock.yaml",
	} {
		if _, ok := layers[absent]; ok {
			t.Errorf("%s is in the image", absent)
		}
	}
}

// TestPnpmErrors: what pnpm's frozen install refuses, and what is not
// installed as the lockfile says.
func TestPnpmErrors(t *testing.T) {
	const store = "node_modules/.pnpm/"
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
		want   string
	}{
		{"version installed differs", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{store + "b@1.0.0/node_modules/b/package.json": `{"name": "b", "version": "1.0.1"}`})
		}, "node_modules/.pnpm/b@1.0.0/node_modules/b: version 1.0.1 is installed, pnpm-lock.yaml says 1.0.0: run `pnpm install --frozen-lockfile`"},
		{"dependency the lockfile lacks", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{store + "a@1.0.0_p@1.0.0/node_modules/a/package.json": `{"name": "a", "version": "1.0.0", "dependencies": {"x": "^1.0.0"}}`})
		}, "a@1.0.0_p@1.0.0/node_modules/a depends on x ^1.0.0, which pnpm-lock.yaml does not resolve for it: run `pnpm install`"},
		{"package.json ahead of the lockfile", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"package.json": `{"name": "app", "main": "index.js", "dependencies": {"a": "^1.0.0", "al": "npm:b@^2.0.0", "x": "^1.0.0"}}`})
		}, "package.json's dependencies lists x, which pnpm-lock.yaml does not: run `pnpm install`"},
		{"specifier changed", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"package.json": `{"name": "app", "main": "index.js", "dependencies": {"a": "^1.1.0", "al": "npm:b@^2.0.0"}}`})
		}, "package.json's dependencies asks for a ^1.1.0, pnpm-lock.yaml for ^1.0.0"},
		{"lockfile v6", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"pnpm-lock.yaml": strings.Replace(testPnpmLock, "'9.0'", "'6.0'", 1)})
		}, "lockfileVersion 6.0: run `pnpm install` with pnpm 9 or later"},
		{"resolved peer missing", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, store+"p@1.0.0"))
		}, "depends on p, which is not installed (pnpm-lock.yaml resolves it to 1.0.0)"},
		{"link outside the project", func(t *testing.T, dir string) {
			writeLinks(t, dir, map[string]string{"node_modules/a": "../../elsewhere/a"})
		}, "node_modules/a links to ../../elsewhere/a, outside the project"},
		{"no node_modules", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "node_modules"))
		}, "no node_modules: run `pnpm install --frozen-lockfile` first"},
		{"malformed lockfile", func(t *testing.T, dir string) {
			write(t, dir, map[string]string{"pnpm-lock.yaml": "lockfileVersion: '9.0'\nimporters:\n  .: {\n"})
		}, "pnpm-lock.yaml:3: a flow mapping that does not end on its line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := pnpmProject(t)
			tc.change(t, dir)
			_, err := New().Analyze(context.Background(), dir, hostOptions())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestPnpmWorkspaceLinks: a workspace package linked from the project and
// from another workspace; its own dependencies are linked in its
// node_modules.
func TestPnpmWorkspaceLinks(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"package.json":            `{"name": "root", "main": "index.js", "dependencies": {"w": "workspace:*"}}`,
		"index.js":                "require('w')",
		"packages/w/package.json": `{"name": "w", "version": "0.1.0", "dependencies": {"b": "^1.0.0"}}`,
		"packages/w/index.js":     "require('b')",
		"packages/v/package.json": `{"name": "v", "version": "0.1.0", "dependencies": {"w": "workspace:^"}}`,
		"pnpm-lock.yaml": `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      w:
        specifier: workspace:*
        version: link:packages/w
  packages/v:
    dependencies:
      w:
        specifier: workspace:^
        version: link:../w
  packages/w:
    dependencies:
      b:
        specifier: ^1.0.0
        version: 1.0.0
packages:
  b@1.0.0:
    resolution: {integrity: sha512-b1}
snapshots:
  b@1.0.0: {}
`,
		"node_modules/.pnpm/b@1.0.0/node_modules/b/package.json": `{"name": "b", "version": "1.0.0"}`,
	})
	writeLinks(t, dir, map[string]string{
		"node_modules/w":            "../packages/w",
		"packages/w/node_modules/b": "../../../node_modules/.pnpm/b@1.0.0/node_modules/b",
		"packages/v/node_modules/w": "../../w",
	})
	layers, links := planEntries(t, dir)
	for link, target := range map[string]string{
		"/app/node_modules/w":            "../packages/w",
		"/app/packages/w/node_modules/b": "../../../node_modules/.pnpm/b@1.0.0/node_modules/b",
		"/app/packages/v/node_modules/w": "../../w",
	} {
		if links[link] != target {
			t.Errorf("%s links to %q, want %q", link, links[link], target)
		}
	}
	for p, layer := range map[string]string{
		"/app/packages/w/index.js":                                    "workspace packages",
		"/app/packages/v/package.json":                                "workspace packages",
		"/app/node_modules/.pnpm/b@1.0.0/node_modules/b/package.json": "dependencies",
	} {
		if layers[p] != layer {
			t.Errorf("%s: in %q, want %q", p, layers[p], layer)
		}
	}
}

func TestPnpmDepPath(t *testing.T) {
	for _, tc := range []struct{ ref, name, want, pkgKey, version string }{
		{"1.0.0", "a", "a@1.0.0", "a@1.0.0", "1.0.0"},
		{"19.0.0(react@19.0.0)", "react-dom", "react-dom@19.0.0(react@19.0.0)", "react-dom@19.0.0", "19.0.0"},
		{"lodash@4.17.21", "lodash-alias", "lodash@4.17.21", "lodash@4.17.21", "4.17.21"},
		{"@s/x@1.0.0(p@1.0.0)", "al", "@s/x@1.0.0(p@1.0.0)", "@s/x@1.0.0", "1.0.0"},
		{"1.0.0", "@s/x", "@s/x@1.0.0", "@s/x@1.0.0", "1.0.0"},
		{"file:vendor/v", "v", "v@file:vendor/v", "v@file:vendor/v", "file:vendor/v"},
	} {
		got := pnpmDepPath(tc.ref, tc.name)
		k, v := pnpmPackageKey(got)
		if got != tc.want || k != tc.pkgKey || v != tc.version {
			t.Errorf("%s %s: %s, %s, %s; want %s, %s, %s", tc.name, tc.ref, got, k, v, tc.want, tc.pkgKey, tc.version)
		}
	}
}

// FuzzPnpmProject analyses the pnpm and yarn projects of these tests with
// the input as their lockfile: an error or a plan, never a panic.
func FuzzPnpmProject(f *testing.F) {
	f.Add([]byte(testPnpmLock))
	f.Add([]byte(testYarnV1Lock))
	f.Add([]byte(testBerryLock))
	pnpmDir, yarnDir, berryDir := pnpmProject(f), yarnProject(f, false), yarnProject(f, true)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range []string{filepath.Join(pnpmDir, "pnpm-lock.yaml"), filepath.Join(yarnDir, "yarn.lock"), filepath.Join(berryDir, "yarn.lock")} {
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			New().Analyze(t.Context(), filepath.Dir(p), hostOptions())
		}
	})
}
