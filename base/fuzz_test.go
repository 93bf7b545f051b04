package base

import (
	"context"
	"testing"
	"time"
)

// FuzzSpec feeds --from values to the parsers: Debian specs, and every other
// form through Resolve with no network (a registry reference may only fail).
func FuzzSpec(f *testing.F) {
	for _, s := range []string{"debian:java17+libcap2,tzdata=2024a-1", "debian:", "oci:/x:tag", "tar:", "builtin:static",
		"gcr.io/distroless/static@sha256:abc", "UPPER/x:y", "a:b:c:d", "localhost:0/x@sha256:" + "00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseDebianSpec(s)
		if hasScheme(s) {
			return // oci:, tar:, debian: read files or the network
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		Resolve(ctx, "builtin:"+s, Options{})
	})
}
