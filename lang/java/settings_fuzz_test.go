package java

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzSettings feeds settings.xml files to LocalRepository: any input gives
// a path, never a panic.
func FuzzSettings(f *testing.F) {
	f.Add([]byte(`<settings><localRepository>${user.home}/m2</localRepository></settings>`))
	f.Add([]byte(`<settings><localRepository/>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><settings><mirrors><mirror><url>x</url></mirror></mirrors></settings>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		home := t.TempDir()
		os.MkdirAll(filepath.Join(home, ".m2"), 0o755)
		os.WriteFile(filepath.Join(home, ".m2", "settings.xml"), b, 0o644)
		if LocalRepository(home, "") == "" {
			t.Error("no local repository")
		}
	})
}

// FuzzLayersIdx feeds Spring Boot layers.idx files to their reader.
func FuzzLayersIdx(f *testing.F) {
	f.Add([]byte("- \"dependencies\":\n  - \"BOOT-INF/lib/\"\n- \"application\":\n  - \"BOOT-INF/classes/\"\n"))
	f.Add([]byte("- \"x\n  - \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "layers.idx")
		os.WriteFile(p, b, 0o644)
		readLayersIdx(p)
	})
}
