package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSkipForWatch(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "build/img"), 0o755)
	os.WriteFile(filepath.Join(root, "build/img/oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	outs := outputPaths([]string{"oci:" + filepath.Join(root, "out") + ":dev", "tar:" + filepath.Join(root, "app.tar"), "127.0.0.1:5000/app"})
	for _, c := range []struct {
		rel  string
		skip bool
	}{
		{"main.go", false},
		{"image/image.go", false}, // a package named image is source
		{"src/index.js", false},
		{".git/HEAD", true},
		{".langbuild/oci/index.json", true},
		{"a/.#main.go", true},
		{"a/main.go~", true},
		{"out", true},
		{"out/index.json", true},
		{"outside.go", false},
		{"app.tar", true},
		{"build/img", true},
		{"build", false},
	} {
		if got := skipForWatch(root, c.rel, outs); got != c.skip {
			t.Errorf("skipForWatch(%q) = %v, want %v", c.rel, got, c.skip)
		}
	}
}
