package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

func TestProjectRuntime(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  lang.Runtime
	}{
		{"engines", map[string]string{"package.json": `{"engines": {"node": " >=24.18.0 ", "npm": ">=10"}}`, ".nvmrc": "20"},
			lang.Runtime{Name: "node", Range: ">=24.18.0", From: "engines.node in package.json"}},
		{"nvmrc", map[string]string{"package.json": `{"engines": {"npm": ">=10"}}`, ".nvmrc": "v20.11.0\n"},
			lang.Runtime{Name: "node", Range: "^20.11.0", From: ".nvmrc, which says v20.11.0, read as ^20.11.0"}},
		{"nvmrc major", map[string]string{"package.json": `{}`, ".nvmrc": "# pinned\n22 # comment\n"},
			lang.Runtime{Name: "node", Range: "^22", From: ".nvmrc, which says 22, read as ^22"}},
		{"lts codename", map[string]string{"package.json": `{}`, ".nvmrc": "lts/iron"},
			lang.Runtime{Name: "node", Range: "20.x", From: ".nvmrc, which says lts/iron, read as 20.x"}},
		{"alias then node-version", map[string]string{"package.json": `{}`, ".nvmrc": "lts/*", ".node-version": "24.1"},
			lang.Runtime{Name: "node", Range: "^24.1", From: ".node-version, which says 24.1, read as ^24.1"}},
		{"nothing", map[string]string{"package.json": `{"engines": "node 20"}`}, lang.Runtime{Name: "node"}},
		{"no package.json", map[string]string{".node-version": "x"}, lang.Runtime{Name: "node"}},
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

// TestRuntimeFromPlan: the analyzer finds the project through the plan's
// app layer.
func TestRuntimeFromPlan(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"engines": {"node": "^22"}}`), 0o644)
	p := &layering.Plan{Layers: []layering.Layer{
		{Name: "deps"},
		{Name: "application", Entries: []layering.Entry{
			{Path: "/app/index.js", Source: filepath.Join(dir, "index.js")},
			{Path: "/app/package.json", Source: filepath.Join(dir, "package.json")},
		}},
	}}
	if got := New().Runtime(p); got.Range != "^22" || got.Name != "node" {
		t.Errorf("got %+v", got)
	}
	if got := New().Runtime(&layering.Plan{}); got != (lang.Runtime{Name: "node"}) {
		t.Errorf("empty plan: %+v", got)
	}
}
