package base

import (
	"errors"
	"strings"
	"testing"

	"github.com/langbuild/langbuild/base/debian"
)

func TestForJava(t *testing.T) {
	for _, tc := range []struct {
		release            int
		distroless, preset string
	}{
		{0, DefaultJava17, "java17"},
		{5, DefaultJava17, "java11"},
		{8, DefaultJava17, "java11"},
		{11, DefaultJava17, "java11"},
		{12, DefaultJava17, "java17"},
		{17, DefaultJava17, "java17"},
		{18, DefaultJava21, "java21"},
		{21, DefaultJava21, "java21"},
		{22, DefaultJava25, "java25"},
		{25, DefaultJava25, "java25"},
	} {
		d, err := ForJava(tc.release, false)
		if err != nil || d.Distroless != tc.distroless {
			t.Errorf("Java %d: distroless %+v %v, want %s", tc.release, d, err, tc.distroless)
		}
		p, err := ForJava(tc.release, true)
		if err != nil || p.Preset != tc.preset {
			t.Errorf("Java %d: Debian %+v %v, want %s", tc.release, p, err, tc.preset)
		}
	}
	for _, deb := range []bool{false, true} {
		_, err := ForJava(26, deb)
		var tn *JavaTooNewError
		if !errors.As(err, &tn) || tn.Release != 26 || !strings.Contains(err.Error(), "debian:java25 (Java 25)") {
			t.Errorf("Java 26: %v", err)
		}
	}
	for _, b := range JavaBases {
		if _, ok := debian.Presets[b.Preset]; !ok {
			t.Errorf("Java %d: no preset %s", b.Release, b.Preset)
		}
	}
}

func TestParseDebianSpecJava(t *testing.T) {
	_, err := ParseDebianSpec("java")
	if err == nil || !strings.Contains(err.Error(), "only a build of a Java project chooses") || !strings.Contains(err.Error(), "java11, java17, java21, java25") {
		t.Errorf("debian:java outside a build: %v", err)
	}
	if s, err := ParseDebianSpec("java25+libcap2"); err != nil || s.String() != "debian:java25+libcap2" {
		t.Errorf("java25+libcap2: %v %v", s, err)
	}
}
