package golang

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/langbuild/langbuild/lang"
)

// FuzzGoMod plans a project whose go.mod is the input (nothing is compiled):
// an error naming go.mod or a plan, never a panic.
func FuzzGoMod(f *testing.F) {
	f.Add([]byte("module example.com/a\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n"))
	f.Add([]byte("module \"a\nreplace x => ../y\n"))
	f.Add([]byte("go 1.22\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "go.mod"), b, 0o644)
		os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
		New().Analyze(t.Context(), dir, lang.Options{PlanOnly: true})
	})
}
