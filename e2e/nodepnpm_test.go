package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// pmMu keeps two tests from installing package managers into one cache at
// once.
var pmMu sync.Mutex

// nodePackageManager is the command line of a package manager that npm
// installs (spec, e.g. pnpm@9) into the user's cache, once: node and the
// package's script (in the package's directory, bin the rest of the path),
// not a bin link, which pnpm and both yarns would fight over.
func nodePackageManager(t *testing.T, spec, pkg, bin string) []string {
	t.Helper()
	pmMu.Lock()
	defer pmMu.Unlock()
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(base, "langbuild-test", "node-pm")
	script := filepath.Join(cache, "node_modules", pkg, bin)
	if _, err := os.Stat(script); err != nil {
		os.MkdirAll(cache, 0o755)
		npm(t, cache, "install", "--prefix", cache, "--ignore-scripts", spec)
	}
	return []string{"node", script}
}

// pm runs a package manager in dir (not with CI's defaults: the test writes
// no lockfile beforehand) and fails the test if it fails.
func pm(t *testing.T, dir string, env []string, cmdline []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(cmdline[0], append(cmdline[1:], args...)...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CI=", "YARN_ENABLE_TELEMETRY=0", "YARN_ENABLE_IMMUTABLE_INSTALLS=false"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v in %s: %v\n%s", filepath.Base(cmdline[len(cmdline)-1]), args, dir, err, out)
	}
	return string(out)
}

// pmProject writes a project whose script needs express and minimatch
// (each with transitive dependencies, found through the package
// manager's layout) and has a dev dependency, is-number.
func pmProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"package.json": `{"name": "pmapp", "version": "1.0.0", "main": "index.js",
  "dependencies": {"express": "^4.21.0", "minimatch": "^9.0.5"}, "devDependencies": {"is-number": "^7.0.0"}}`,
		"index.js": `const express = require("express");
const { minimatch } = require("minimatch");
const app = express();
app.get("/", (req, res) => res.send("hi"));
console.log("express " + require("express/package.json").version + ", matches: " + minimatch("src/a.js", "src/{a,b}.js"));
let dev = "absent";
try { require.resolve("is-number"); dev = "present"; } catch {}
console.log("dev dependency " + dev);
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// buildAndRun builds the project on debian:nodejs twice (the same digest),
// runs the image and returns what it printed.
func buildAndRun(t *testing.T, dir string) string {
	t.Helper()
	env := sharedDebianEnv(t)
	layout := filepath.Join(t.TempDir(), "layout")
	d1 := mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", "oci:"+layout, "-q")
	if d2 := mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", "oci:"+layout, "-q"); d1 != d2 {
		t.Errorf("two builds of one project: %s and %s", d1, d2)
	}
	return runLayout(t, layout, "latest")
}

// checkPmOutput checks what the image of pmProject printed.
func checkPmOutput(t *testing.T, got string) {
	t.Helper()
	for _, want := range []string{"express 4.", "matches: true", "dev dependency absent"} {
		if !strings.Contains(got, want) {
			t.Errorf("the image printed %q, want %q in it", got, want)
		}
	}
}

// TestNodePnpm builds a project pnpm installed: the image runs (Node finds
// express's and minimatch's dependencies through pnpm's symlinks), holds no
// dev dependency, and keeps node_modules/express a symlink into
// node_modules/.pnpm.
func TestNodePnpm(t *testing.T) {
	needE2E(t)
	pnpm := nodePackageManager(t, "pnpm@9", "pnpm", "bin/pnpm.cjs")
	dir := pmProject(t)
	base, _ := os.UserCacheDir()
	pm(t, dir, nil, pnpm, "install", "--ignore-scripts", "--no-frozen-lockfile", "--store-dir", filepath.Join(base, "langbuild-test", "node-pm", "pnpm-store"))
	if fi, err := os.Lstat(filepath.Join(dir, "node_modules", "express")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("pnpm did not link node_modules/express: %v", err)
	}
	checkPmOutput(t, buildAndRun(t, dir))

	ref := registry + "/nodepnpm:e2e"
	mustBuild(t, dir, sharedDebianEnv(t), "build", "--from", "debian:nodejs", "-o", ref, "-q")
	files := imageFiles(t, ref)
	var express bool
	for _, f := range files {
		switch {
		case strings.Contains(f, "is-number"), strings.HasSuffix(f, "pnpm-lock.yaml"), strings.HasSuffix(f, ".pnpm/lock.yaml"):
			t.Errorf("the image holds %s", f)
		case strings.HasPrefix(f, "app/node_modules/.pnpm/express@4.") && strings.HasSuffix(f, "/node_modules/express/package.json"):
			express = true
		}
	}
	if !express {
		t.Errorf("the image lacks express's directory in node_modules/.pnpm")
	}
	layout := filepath.Join(t.TempDir(), "layout")
	tool(t, "skopeo", "copy", "--src-tls-verify=false", "docker://"+ref, "oci:"+layout+":latest")
	got := runLayoutArgs(t, layout, "latest", nil, "/usr/bin/node", "-e",
		`const fs = require("fs"); console.log(fs.lstatSync("/app/node_modules/express").isSymbolicLink() + " " + fs.readlinkSync("/app/node_modules/express"))`)
	if !strings.HasPrefix(got, "true .pnpm/express@4.") {
		t.Errorf("node_modules/express in the image: %q, want a symlink into .pnpm", got)
	}
}
