package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNodeStaleDevFlags: a lockfile that marks dev a package a production
// dependency needs (as http-server's did with minimatch 10's
// @isaacs/brace-expansion). npm ci --omit=dev installs it anyway, and the
// image must hold it too: the closure follows the graph, not the flags.
func TestNodeStaleDevFlags(t *testing.T) {
	needE2E(t)
	env := sharedDebianEnv(t)
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", `{"name": "stale", "version": "1.0.0", "main": "index.js",
  "dependencies": {"minimatch": "9.0.5"}, "devDependencies": {"glob": "10.4.5"}}`)
	write("index.js", `const { minimatch } = require("minimatch");
console.log("matches: " + minimatch("src/a.js", "src/{a,b}.js"));
`)
	npm(t, dir, "install", "--package-lock-only", "--ignore-scripts")
	// Mark dev what minimatch needs, as a stale lockfile would.
	lockPath := filepath.Join(dir, "package-lock.json")
	b, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	var lock map[string]any
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	pkgs := lock["packages"].(map[string]any)
	e, ok := pkgs["node_modules/brace-expansion"].(map[string]any)
	if !ok {
		t.Fatalf("the lockfile has no node_modules/brace-expansion: %v", pkgs)
	}
	e["dev"] = true
	b, _ = json.MarshalIndent(lock, "", "  ")
	write("package-lock.json", string(b))
	npm(t, dir, "ci", "--omit=dev", "--ignore-scripts")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "brace-expansion")); err != nil {
		t.Fatalf("npm ci --omit=dev did not install brace-expansion: %v", err)
	}
	layout := filepath.Join(t.TempDir(), "layout")
	r := lb(t, dir, env, "build", "--from", "debian:nodejs", "-o", "oci:"+layout)
	if r.code != 0 {
		t.Fatalf("build: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "marks dev what production packages need (node_modules/brace-expansion)") {
		t.Errorf("no note about the stale flag:\n%s", r.stderr)
	}
	if got := runLayout(t, layout, "latest"); !strings.Contains(got, "matches: true") {
		t.Errorf("the image printed %q", got)
	}
}
