package golang

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/langbuild/langbuild/lang"
)

// TestWatch: the module from any package in it, and the directories that
// replace directives name outside it; nothing in them skipped (a package
// named image is source like any other).
func TestWatch(t *testing.T) {
	top := t.TempDir()
	mod, lib := filepath.Join(top, "app"), filepath.Join(top, "lib")
	for _, d := range []string{filepath.Join(mod, "cmd/server"), filepath.Join(mod, "internal/fork"), lib} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte(`module example.com/app
go 1.22
require (
	example.com/lib v1.0.0
	example.com/fork v1.0.0
	example.com/gone v1.0.0
	example.com/remote v1.0.0
)
replace example.com/lib => ../lib
replace example.com/fork => ./internal/fork
replace example.com/gone => ../gone
replace example.com/remote => example.com/remote2 v1.1.0
`), 0o644)
	w, err := New().Watch(filepath.Join(mod, "cmd/server"), lang.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.Dirs, []string{mod, lib}) {
		t.Errorf("dirs %v, want %v", w.Dirs, []string{mod, lib})
	}
	if w.Skip != nil && w.Skip(mod, "image/image.go", false) {
		t.Error("image/image.go skipped")
	}
}
