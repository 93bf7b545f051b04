package lang

import "testing"

// FuzzPlatform: --platform values parse or fail, and what parses prints back the same.
func FuzzPlatform(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm/v7", "linux", "/", "a/b/c/d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePlatform(s)
		if err == nil && p.String() != s {
			t.Errorf("%q parsed as %q", s, p)
		}
	})
}
