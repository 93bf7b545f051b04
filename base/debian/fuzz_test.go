package debian

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParagraphs(f *testing.F) {
	f.Add("Package: a\nVersion: 1\nDepends: b (>= 2) | c, d:any\nDescription: x\n long\n .\n more\n\nPackage: b\n")
	f.Add(" continuation\n")
	f.Add("no colon\n")
	f.Fuzz(func(t *testing.T, s string) {
		parseParagraphs(s, "fuzz")
		if pkgs, err := parseIndex(s, "fuzz", Source{}); err == nil {
			if ix, err := newIndex(pkgs); err == nil {
				for _, p := range pkgs {
					ix.resolve([]string{p.Name}, nil)
				}
			}
		}
	})
}

func FuzzSources(f *testing.F) {
	f.Add("deb [signed-by=/k.gpg arch=amd64] http://m.invalid/debian bookworm main\n", "Types: deb\nURIs: http://m.invalid\nSuites: bookworm\nComponents: main\n")
	f.Add("deb [unterminated http://x", "URIs: only\n")
	f.Fuzz(func(t *testing.T, list, sources string) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "sources.list.d"), 0o755)
		os.WriteFile(filepath.Join(dir, "sources.list"), []byte(list), 0o644)
		os.WriteFile(filepath.Join(dir, "sources.list.d", "x.sources"), []byte(sources), 0o644)
		ReadSources(dir)
	})
}
