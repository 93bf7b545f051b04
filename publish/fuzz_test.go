package publish

import (
	"strings"
	"testing"
)

// FuzzRegistryOutput parses --output and --tag values as registry
// references: an error or a publisher, never a panic.
func FuzzRegistryOutput(f *testing.F) {
	for _, s := range []string{"127.0.0.1:5000/a/b:tag", "localhost/x", "gcr.io/p/i@sha256:" + strings.Repeat("0", 64), "UPPER/x", "a:b:c", "x:" + strings.Repeat("t", 200)} {
		f.Add(s, "v1")
	}
	f.Fuzz(func(t *testing.T, out, tag string) {
		if strings.HasPrefix(out, "oci:") || strings.HasPrefix(out, "tar:") {
			return // paths, not references
		}
		if p, err := New(out, Options{Tags: []string{tag}}); err == nil {
			p.Close()
		}
	})
}
