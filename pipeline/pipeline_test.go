package pipeline

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/langbuild/langbuild/base"
	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

// fakeAnalyzer plans an empty image.
type fakeAnalyzer struct {
	name string
}

func (f fakeAnalyzer) Name() string                { return f.name }
func (f fakeAnalyzer) Detect(string) (bool, error) { return true, nil }
func (f fakeAnalyzer) Flags(lang.FlagSet)          {}
func (f fakeAnalyzer) Analyze(context.Context, string, lang.Options) (*layering.Plan, error) {
	return &layering.Plan{}, nil
}
func (f fakeAnalyzer) Watch(dir string, _ lang.Options) (lang.Watch, error) {
	return lang.Watch{Dirs: []string{dir}}, nil
}

func TestChooseBase(t *testing.T) {
	defaults := map[string]string{"go": "static"}
	java := "java"
	for _, tc := range []struct {
		a        string
		release  string
		from     string
		want     string
		why, err string
	}{
		{"go", "", "", "static", "", ""},
		{"node", "", "", "", "", "no base image for node projects"},
		{"go", "", "debian:java", "", "", "this is a go project"},
		{java, "", "", "gcr.io/distroless/java17-debian12:nonroot", "names no Java release", ""},
		{java, "8", "", "gcr.io/distroless/java17-debian12:nonroot", "targets Java 8 (pom.xml); Java 17 is the oldest distroless Java", ""},
		{java, "11", "", "gcr.io/distroless/java17-debian12:nonroot", "targets Java 11", ""},
		{java, "17", "", "gcr.io/distroless/java17-debian12:nonroot", "the project targets Java 17 (pom.xml)", ""},
		{java, "18", "", "gcr.io/distroless/java21-debian12:nonroot", "targets Java 18", ""},
		{java, "21", "", "gcr.io/distroless/java21-debian12:nonroot", "the project targets Java 21 (pom.xml)", ""},
		{java, "22", "", "gcr.io/distroless/java25-debian13:nonroot", "targets Java 22", ""},
		{java, "25", "", "gcr.io/distroless/java25-debian13:nonroot", "targets Java 25", ""},
		{java, "26", "", "", "", "the project targets Java 26 (pom.xml): no base langbuild knows runs Java 26"},
		{java, "", "debian:java", "debian:java17", "names no Java release", ""},
		{java, "8", "debian:java", "debian:java11", "targets Java 8 (pom.xml); Java 11 is the oldest Debian Java", ""},
		{java, "11", "debian:java", "debian:java11", "the project targets Java 11 (pom.xml)", ""},
		{java, "17", "debian:java", "debian:java17", "targets Java 17", ""},
		{java, "18", "debian:java", "debian:java21", "targets Java 18", ""},
		{java, "21", "debian:java+libcap2,curl", "debian:java21+libcap2,curl", "targets Java 21", ""},
		{java, "22", "debian:java", "debian:java25", "targets Java 22", ""},
		{java, "25", "debian:java", "debian:java25", "targets Java 25", ""},
		{java, "26", "debian:java", "", "", "debian:java25 (Java 25)"},
	} {
		var rt layering.Runtime
		if tc.a == "java" {
			rt.Name, rt.From = "java", "pom.xml"
			rt.Version, _ = strconv.Atoi(tc.release)
		} else if tc.a == "node" {
			rt.Name = "node"
		}
		c, err := chooseBase(context.Background(), tc.a, rt, tc.from, defaults, base.Options{})
		spec, why := c.spec, c.why
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %q from %q: error %v, want %q", tc.a, tc.release, tc.from, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s %q from %q: %v", tc.a, tc.release, tc.from, err)
		case spec != tc.want || !strings.Contains(why, tc.why) || (tc.why == "") != (why == ""):
			t.Errorf("%s %q from %q: %s (%s), want %s (%s)", tc.a, tc.release, tc.from, spec, why, tc.want, tc.why)
		}
	}
}

func TestIsDebianJava(t *testing.T) {
	for spec, want := range map[string]bool{
		"debian:java": true, "debian:java+libcap2": true, "debian:java17": false,
		"debian:javax": false, "java": false, "oci:debian:java": false, "": false,
	} {
		if got := isDebianJava(spec); got != want {
			t.Errorf("isDebianJava(%q) = %v", spec, got)
		}
	}
}

// TestDefaultBaseError: a default base that cannot be had is a
// DefaultBaseError, for cmd to name the offline alternatives.
func TestDefaultBaseError(t *testing.T) {
	cache, err := layering.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Dir:       t.TempDir(),
		Analyzers: []lang.Analyzer{fakeAnalyzer{name: "go"}},
		Defaults:  map[string]string{"go": "127.0.0.1:1/no/base:1"},
		Cache:     cache,
	}
	opts.Registry.Retries = -1
	_, err = Build(context.Background(), opts, nil)
	var de *DefaultBaseError
	if !errors.As(err, &de) || de.Language != "go" || de.Spec != "127.0.0.1:1/no/base:1" {
		t.Fatalf("got %v (%T), want a DefaultBaseError", err, err)
	}
	// A base given with --from is not the build's choice.
	opts.Base = "127.0.0.1:1/no/base:1"
	if _, err = Build(context.Background(), opts, nil); err == nil || errors.As(err, &de) {
		t.Fatalf("got %v, want a plain error", err)
	}
}
