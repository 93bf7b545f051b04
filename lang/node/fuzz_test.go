package node

import (
	"github.com/langbuild/langbuild/lang"
	"os"
	"path/filepath"
	"testing"
)

func FuzzStartScript(f *testing.F) {
	for _, s := range []string{"node server.js", "node --inspect=0.0.0.0:9229 a.js x y", "A=1 node a.js", "node", "node ../x.js", "npm start && x"} {
		f.Add(s)
	}
	dir := f.TempDir()
	os.WriteFile(filepath.Join(dir, "server.js"), nil, 0o644)
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		parseStart(dir, s)
	})
}

func FuzzLockfile(f *testing.F) {
	f.Add([]byte(`{"lockfileVersion": 3, "packages": {"": {}, "node_modules/a": {"version": "1.0.0"}, "node_modules/b": {"link": true, "resolved": "../../etc"}}}`))
	f.Add([]byte(`{"lockfileVersion": "x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "a", "main": "index.js"}`), 0o644)
		os.WriteFile(filepath.Join(dir, "index.js"), nil, 0o644)
		os.WriteFile(filepath.Join(dir, "package-lock.json"), b, 0o644)
		os.MkdirAll(filepath.Join(dir, "node_modules"), 0o755)
		New().Analyze(t.Context(), dir, lang.Options{})
	})
}
