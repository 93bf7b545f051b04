package java

import (
	"os"
	"path/filepath"
	"testing"
)

// The parsers of untrusted input must return errors, never panic.

func FuzzReadClass(f *testing.F) {
	f.Add([]byte{0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 61, 0, 1})
	f.Add([]byte("not a class"))
	if b, err := os.ReadFile(filepath.Join("testdata", "Main.class")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		readClass(b)
	})
}

func FuzzPom(f *testing.F) {
	f.Add([]byte(`<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>${v}</version></dependency></dependencies></project>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><project><artifactId>é</artifactId></project>`))
	f.Add([]byte(`<project><parent><groupId>g</groupId></parent></project>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "pom.xml")
		os.WriteFile(p, b, 0o644)
		l := newLoader(filepath.Join(dir, "repo"), nil, nil)
		if m, err := l.load(p); err == nil {
			l.resolve(m)
		}
	})
}

func FuzzJDKActivation(f *testing.F) {
	for _, s := range []string{"17", "!1.8", "[11,)", "(,1.8]", "[1.8,17),[21,)", "[", "(,", ""} {
		f.Add(s, "17.0.15")
	}
	f.Fuzz(func(t *testing.T, spec, version string) {
		jdkMatches(spec, version)
	})
}
