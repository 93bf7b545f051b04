package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/langbuild/langbuild/lang"
)

// FuzzPackageJSON analyses a project whose package.json is the input (and a
// .langbuildignore made of it too): an error or a plan, never a panic.
func FuzzPackageJSON(f *testing.F) {
	f.Add([]byte(`{"name": "a", "version": "1.0.0", "main": "index.js", "files": ["index.js", "lib/**"], "scripts": {"start": "node index.js"}}`))
	f.Add([]byte(`{"name": 1, "files": "x", "workspaces": {"packages": [1]}}`))
	f.Add([]byte(`{"main": "../../etc/passwd"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "package.json"), b, 0o644)
		os.WriteFile(filepath.Join(dir, ".langbuildignore"), b, 0o644)
		os.WriteFile(filepath.Join(dir, "index.js"), nil, 0o644)
		os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(`{"lockfileVersion": 3, "packages": {"": {}}}`), 0o644)
		os.MkdirAll(filepath.Join(dir, "node_modules"), 0o755)
		New().Analyze(t.Context(), dir, lang.Options{})
	})
}
