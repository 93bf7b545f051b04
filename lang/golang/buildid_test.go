package golang

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildID(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir := t.TempDir()
	src := filepath.Join("..", "..", "testprojects", "gohello")
	build := func(out string, flags ...string) {
		t.Helper()
		cmd := exec.Command("go", append(append([]string{"build", "-trimpath"}, flags...), "-o", out, ".")...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
	}
	bin := filepath.Join(dir, "hello")
	build(bin)
	want, err := exec.Command("go", "tool", "buildid", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := buildID(bin); got == "" || got != strings.TrimSpace(string(want)) {
		t.Errorf("buildID = %q, go tool buildid says %q", got, want)
	}

	// A build ID set by hand does not stand for the content.
	fixed := filepath.Join(dir, "fixed")
	build(fixed, "-ldflags=-buildid=release-1")
	if got := buildID(fixed); got != "" {
		t.Errorf("hand-set build ID trusted: %q", got)
	}
	// Not a Go ELF binary.
	os.WriteFile(filepath.Join(dir, "script"), []byte("#!/bin/sh\n"), 0o755)
	if got := buildID(filepath.Join(dir, "script")); got != "" {
		t.Errorf("script: %q", got)
	}
}
