package node

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/langbuild/langbuild/lang"
)

// TestWatch: the package and the directories of its file: dependencies
// outside it, node_modules skipped wherever it is.
func TestWatch(t *testing.T) {
	top := t.TempDir()
	app, shared := filepath.Join(top, "app"), filepath.Join(top, "shared")
	os.MkdirAll(filepath.Join(app, "packages/inner"), 0o755)
	os.MkdirAll(shared, 0o755)
	os.WriteFile(filepath.Join(app, "package.json"), []byte(`{"dependencies": {
		"shared": "file:../shared", "inner": "file:packages/inner", "tgz": "file:../x.tgz",
		"gone": "file:../gone", "express": "^4"}}`), 0o644)
	w, err := New().Watch(app, lang.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.Dirs, []string{app, shared}) {
		t.Errorf("dirs %v, want %v", w.Dirs, []string{app, shared})
	}
	for rel, skip := range map[string]bool{
		"index.js": false, "node_modules": true, "node_modules/x/index.js": true,
		"packages/inner/node_modules/y": true, "packages/inner/index.js": false, "package-lock.json": false,
	} {
		if got := w.Skip(app, rel, false); got != skip {
			t.Errorf("skip %q = %v, want %v", rel, got, skip)
		}
	}
}
