package layering

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkBinaryLayer writes the layer of testprojects/gohello's binary,
// the layer a one-line change to a Go program writes again: stat and hash
// of the changed binary, then tar and compression.
func BenchmarkBinaryLayer(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "gohello")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "testprojects", "gohello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building gohello: %v\n%s", err, out)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	l := Layer{Name: "binary", Entries: []Entry{{Path: "/ko-app/gohello", Type: TypeFile, Source: bin}}}
	c, err := OpenCache(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	bl, err := NewBuilder(c)
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for range b.N {
		// A fresh cache each time: the layer is written, not found.
		b.StopTimer()
		os.RemoveAll(filepath.Join(c.Dir(), "layers"))
		os.RemoveAll(filepath.Join(c.Dir(), "stat"))
		os.MkdirAll(filepath.Join(c.Dir(), "layers"), 0o755)
		os.MkdirAll(filepath.Join(c.Dir(), "stat"), 0o755)
		b.StartTimer()
		blob, err := bl.BuildLayer(context.Background(), l)
		if err != nil {
			b.Fatal(err)
		}
		size = blob.Size
	}
	b.ReportMetric(float64(size), "compressed-bytes")
	b.ReportMetric(float64(size)/float64(fi.Size()), "ratio")
}
