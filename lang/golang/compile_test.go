package golang

import (
	"testing"

	"github.com/langbuild/langbuild/lang"
)

// TestOutputPerBuildSettings: builds that differ in a setting of the
// user's environment that changes the binary get outputs of their own, so
// two at once cannot swap binaries; where things are kept changes nothing.
func TestOutputPerBuildSettings(t *testing.T) {
	work := t.TempDir()
	out := func(env ...string) string {
		t.Helper()
		b := goBuild{root: "/src/m", pkg: "./cmd/app", name: "app", opts: settings{Options: lang.Options{WorkDir: work, Env: env,
			Platform: lang.Platform{OS: "linux", Arch: "amd64"}}}}
		o, err := b.output()
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	base := out("HOME=/root", "GOPATH=/go")
	for _, env := range [][]string{
		{"HOME=/root", "GOPATH=/go", "GOAMD64=v3"},
		{"HOME=/root", "GOPATH=/go", "GOFLAGS=-race"},
		{"HOME=/root", "GOPATH=/go", "GOEXPERIMENT=boringcrypto"},
		{"HOME=/root", "GOPATH=/go", "CGO_CFLAGS=-O3"},
		{"HOME=/root", "GOPATH=/go", "GOTOOLCHAIN=go1.25.0"},
	} {
		if out(env...) == base {
			t.Errorf("%v shares the output of a build without it", env[2:])
		}
	}
	if out("HOME=/home/x", "GOPATH=/elsewhere", "GOCACHE=/c", "GOPROXY=off") != base {
		t.Errorf("where modules and caches are kept changed the output")
	}
	if out("GOFLAGS=-mod=vendor", "GOAMD64=v2") != out("GOAMD64=v2", "GOFLAGS=-mod=vendor") {
		t.Errorf("the order of the environment changed the output")
	}
}
