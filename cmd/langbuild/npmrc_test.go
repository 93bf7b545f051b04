package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNpmrcValue(t *testing.T) {
	f := filepath.Join(t.TempDir(), ".npmrc")
	t.Setenv("LB_TEST_MIRROR", "mirror.test")
	os.WriteFile(f, []byte("; comment\n# registry=http://no/\nfund=false\n//mirror.test/:_authToken=x\nregistry = \"https://${LB_TEST_MIRROR}/npm\"\n"), 0o644)
	v, ok := npmrcValue(f, "registry")
	if !ok || v != "https://mirror.test/npm" {
		t.Fatalf("registry %q, %v", v, ok)
	}
	if got, err := checkRegistry(v, f); err != nil || got != "https://mirror.test/npm/" {
		t.Errorf("checkRegistry: %q, %v", got, err)
	}
	if _, ok := npmrcValue(f, "cafile"); ok {
		t.Error("found a key the file does not set")
	}
	for _, bad := range []string{"mirror.test", "ftp://mirror.test/", "https://"} {
		if _, err := checkRegistry(bad, "npmrc"); err == nil {
			t.Errorf("checkRegistry(%q) accepted it", bad)
		}
	}
}
