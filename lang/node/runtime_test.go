package node

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

func TestProjectRuntime(t *testing.T) {
	const nowhere = "engines.node in package.json, .nvmrc, .node-version"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  layering.Runtime
	}{
		{"engines", map[string]string{"package.json": `{"engines": {"node": " >=24.18.0 ", "npm": ">=10"}}`, ".nvmrc": "20"},
			layering.Runtime{Name: "node", Range: ">=24.18.0", From: "engines.node in package.json"}},
		{"nvmrc", map[string]string{"package.json": `{"engines": {"npm": ">=10"}}`, ".nvmrc": "v20.11.0\n"},
			layering.Runtime{Name: "node", Range: "^20.11.0", From: ".nvmrc, which says v20.11.0, read as ^20.11.0"}},
		{"nvmrc major", map[string]string{"package.json": `{}`, ".nvmrc": "# pinned\n22 # comment\n"},
			layering.Runtime{Name: "node", Range: "^22", From: ".nvmrc, which says 22, read as ^22"}},
		{"lts codename", map[string]string{"package.json": `{}`, ".nvmrc": "lts/iron"},
			layering.Runtime{Name: "node", Range: "20.x", From: ".nvmrc, which says lts/iron, read as 20.x"}},
		{"alias then node-version", map[string]string{"package.json": `{}`, ".nvmrc": "lts/*", ".node-version": "24.1"},
			layering.Runtime{Name: "node", Range: "^24.1", From: ".node-version, which says 24.1, read as ^24.1"}},
		{"nothing", map[string]string{"package.json": `{"engines": "node 20"}`}, layering.Runtime{Name: "node", From: nowhere}},
		{"no package.json", map[string]string{".node-version": "x"}, layering.Runtime{Name: "node", From: nowhere}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := ProjectRuntime(dir); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestPlanRuntime: the plan carries the range the project asks for, and
// leaves its entrypoint to the base's node.
func TestPlanRuntime(t *testing.T) {
	dir := project(t, map[string]string{".nvmrc": "22\n"})
	p, err := New().Analyze(t.Context(), dir, lang.Options{Platform: lang.Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Runtime != (layering.Runtime{Name: "node", Range: "^22", From: ".nvmrc, which says 22, read as ^22"}) {
		t.Errorf("runtime %+v", p.Runtime)
	}
	if p.BaseEntrypoint != "node" || p.Config.Entrypoint != nil {
		t.Errorf("entrypoint %q, from the base's %q", p.Config.Entrypoint, p.BaseEntrypoint)
	}
}
