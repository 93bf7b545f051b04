package main

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/langbuild/langbuild/pipeline"
	"github.com/langbuild/langbuild/publish"
)

// --timings tells blobs uploaded from those mounted from the base's
// repository and those the registry had already.
func TestPublishedBlobs(t *testing.T) {
	img, err := random.Image(100, 13) // 13 layers and the config: 14 blobs
	if err != nil {
		t.Fatal(err)
	}
	digests := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a' + i))
		}
		return out
	}
	ls, _ := img.Layers()
	twice, err := mutate.AppendLayers(img, ls[0]) // a blob the push places once
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name             string
		image            v1.Image
		outputs          []string
		written, mounted int
		want             string
	}{
		{"first push on a base in the same registry", img, []string{"registry.example/app:1"}, 12, 8, "4 blobs uploaded, 8 mounted, 2 already there"},
		{"nothing new", img, []string{"registry.example/app:1"}, 0, 0, "0 blobs uploaded, 0 mounted, 14 already there"},
		{"two registries", img, []string{"registry.example/app:1", "oci:out", "other.example/app:1"}, 14, 0, "14 blobs uploaded, 0 mounted, 14 already there"},
		{"no registry", img, []string{"oci:out", "tar:app.tar"}, 0, 0, ""},
		{"a layer twice", twice, []string{"registry.example/app:1"}, 14, 0, "14 blobs uploaded, 0 mounted, 0 already there"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := digests(tc.written)
			res := &pipeline.Result{Image: tc.image, Publish: publish.Result{Written: w, Mounted: w[:tc.mounted]}}
			got, err := publishedBlobs(res, tc.outputs)
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
