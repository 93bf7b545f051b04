package layering

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkBinaryLayer writes the layer of testprojects/gohello's binary,
// the layer a one-line change to a Go program writes again: the binary is
// stat'ed (keyed by its build ID, as the Go analyzer keys it), then tarred,
// hashed and compressed. Besides the time, it reports the CPU time a layer
// costs: on two cores the push after a compile is bound by CPU, the
// registry taking the rest.
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
	l := Layer{Name: "binary", Key: "build-id", KeyOnly: true, Entries: []Entry{{Path: "/ko-app/gohello", Type: TypeFile, Source: bin}}}
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
	cpu0 := cpuTime()
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
	b.StopTimer()
	if cpu0 >= 0 {
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
	b.ReportMetric(float64(size), "compressed-bytes")
	b.ReportMetric(float64(size)/float64(fi.Size()), "ratio")
}
