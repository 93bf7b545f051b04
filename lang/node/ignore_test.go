package node

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// writeTar writes a tar of the named entries (directories end in "/").
func writeTar(t *testing.T, file string, names ...string) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, n := range names {
		h := &tar.Header{Name: n, Mode: 0o644, Typeflag: tar.TypeReg, Size: 700}
		if strings.HasSuffix(n, "/") {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(bytes.Repeat([]byte{'x'}, int(h.Size)))
	}
	tw.Close()
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIsImageTarball(t *testing.T) {
	dir := t.TempDir()
	hex := strings.Repeat("ab", 32)
	// langbuild's tar: output is ggcr's tarball.Write.
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tarball.Write(name.MustParseReference("app:latest"), img, &b); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ggcr.tar"), b.Bytes(), 0o644)
	for _, tc := range []struct {
		name    string
		entries []string // nil: the ggcr tarball above
		want    bool
	}{
		{"ggcr.tar", nil, true},
		{"docker25.tar", []string{"blobs/", "blobs/sha256/", "blobs/sha256/" + hex, "index.json", "manifest.json"}, true},
		{"legacy.tar", []string{hex + "/", hex + "/VERSION", hex + "/json", hex + "/layer.tar"}, true},
		{"manifest-first.tar", []string{"manifest.json", "repositories"}, true},
		{"fixtures.tar", []string{"a.txt", "b/", "b/manifest.json", "c.txt", "manifest.json"}, false},
		{"empty.tar", []string{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, tc.name)
			if tc.entries != nil {
				writeTar(t, file, tc.entries...)
			}
			if got := isImageTarball(file); got != tc.want {
				t.Errorf("isImageTarball = %v, want %v", got, tc.want)
			}
		})
	}
	// Not a tar at all, and too short to be one.
	for n, content := range map[string]string{"text.tar": strings.Repeat("not a tar\n", 100), "short.tar": "manifest.json"} {
		os.WriteFile(filepath.Join(dir, n), []byte(content), 0o644)
		if isImageTarball(filepath.Join(dir, n)) {
			t.Errorf("%s: taken for an image tarball", n)
		}
	}
}

func TestIsEnvFile(t *testing.T) {
	for n, want := range map[string]bool{
		".env": true, ".env.local": true, ".env.production": true, ".env.development.local": true,
		".env.example": false, ".env.sample": false, ".env.template": false,
		"env": false, ".envrc": false, "x.env": false, ".environment": false,
	} {
		if got := isEnvFile(n); got != want {
			t.Errorf("isEnvFile(%s) = %v, want %v", n, got, want)
		}
	}
}

func TestIsLayout(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"full/oci-layout": `{"imageLayoutVersion": "1.0.0"}`, "full/index.json": "{}",
		"marker-only/oci-layout": `{}`,
		"index-only/index.json":  "{}",
	})
	for d, want := range map[string]bool{"full": true, "marker-only": false, "index-only": false, ".": false} {
		if got := isLayout(filepath.Join(dir, d)); got != want {
			t.Errorf("isLayout(%s) = %v, want %v", d, got, want)
		}
	}
}
