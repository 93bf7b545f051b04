package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// yarnCache keeps yarn's downloads in the user's cache, beside pnpm's.
func yarnCache(t *testing.T, name string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(base, "langbuild-test", "node-pm", name)
}

// berryEnv points yarn berry, which does not read npm's configuration, at
// the registry npm's names.
func berryEnv(t *testing.T) []string {
	out, err := exec.Command("npm", "config", "get", "registry").Output()
	if err != nil {
		t.Fatalf("npm config get registry: %v", err)
	}
	return []string{"YARN_NPM_REGISTRY_SERVER=" + strings.TrimSpace(string(out)), "YARN_GLOBAL_FOLDER=" + yarnCache(t, "berry"),
		"YARN_ENABLE_GLOBAL_CACHE=true", "YARN_IGNORE_PATH=1"}
}

// TestNodeYarn builds projects yarn installed: with yarn 1, and with yarn
// berry's node-modules linker, the image runs and holds no dev dependency;
// a berry project installed with Plug'n'Play is refused, saying what to set.
func TestNodeYarn(t *testing.T) {
	needE2E(t)
	t.Run("yarn 1", func(t *testing.T) {
		yarn := nodePackageManager(t, "yarn@1", "yarn", "bin/yarn.js")
		dir := pmProject(t)
		pm(t, dir, nil, yarn, "install", "--ignore-scripts", "--non-interactive", "--no-progress", "--cache-folder", yarnCache(t, "yarn1"))
		if _, err := os.Stat(filepath.Join(dir, "node_modules", ".yarn-integrity")); err != nil {
			t.Fatalf("yarn 1 did not install: %v", err)
		}
		checkPmOutput(t, buildAndRun(t, dir))
	})
	berry := func(t *testing.T, linker string) string {
		yarn := nodePackageManager(t, "@yarnpkg/cli-dist@4", "@yarnpkg/cli-dist", "bin/yarn.js")
		dir := pmProject(t)
		if linker != "" {
			os.WriteFile(filepath.Join(dir, ".yarnrc.yml"), []byte("nodeLinker: "+linker+"\n"), 0o644)
		}
		pm(t, dir, berryEnv(t), yarn, "install", "--mode=skip-build")
		return dir
	}
	t.Run("berry node-modules", func(t *testing.T) {
		dir := berry(t, "node-modules")
		checkPmOutput(t, buildAndRun(t, dir))
	})
	t.Run("berry Plug'n'Play", func(t *testing.T) {
		dir := berry(t, "")
		if _, err := os.Stat(filepath.Join(dir, ".pnp.cjs")); err != nil {
			t.Fatalf("berry wrote no .pnp.cjs: %v", err)
		}
		r := lb(t, dir, sharedDebianEnv(t), "build", "--from", "debian:nodejs", "-o", "oci:"+filepath.Join(t.TempDir(), "layout"))
		if r.code == 0 || !strings.Contains(r.stderr, "Plug'n'Play") || !strings.Contains(r.stderr, "set `nodeLinker: node-modules` in .yarnrc.yml and run `yarn install`") {
			t.Errorf("a Plug'n'Play project: exit %d\n%s", r.code, r.stderr)
		}
	})
}
