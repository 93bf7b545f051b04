package base

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/langbuild/langbuild/layering"
)

func opts(t *testing.T) Options {
	t.Helper()
	c, err := layering.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return Options{Cache: c}
}

func TestBuiltinStaticIsReproducible(t *testing.T) {
	ctx := context.Background()
	a, err := Resolve(ctx, "builtin:static", opts(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Resolve(ctx, "builtin:static", opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest {
		t.Errorf("two generations differ: %s %s", a.Digest, b.Digest)
	}
	if err := validate.Image(a.Image); err != nil {
		t.Fatal(err)
	}
	cf, _ := a.Image.ConfigFile()
	if cf.Architecture != "amd64" || cf.OS != "linux" || cf.Config.User != "65532" {
		t.Errorf("config %+v", cf)
	}
	o := opts(t)
	o.Platform = v1.Platform{OS: "linux", Architecture: "arm64"}
	arm, err := Resolve(ctx, "builtin:static", o)
	if err != nil {
		t.Fatal(err)
	}
	if cf, _ := arm.Image.ConfigFile(); cf.Architecture != "arm64" {
		t.Errorf("arm64 base is %s", cf.Architecture)
	}
	if _, err := Resolve(ctx, "builtin:nope", opts(t)); err == nil || !strings.Contains(err.Error(), "builtin:static") {
		t.Errorf("unknown builtin: %v", err)
	}
}

// countingRegistry is ggcr's in-memory registry that counts requests.
func countingRegistry(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://"), &n
}

func TestRegistryBaseCachedByDigest(t *testing.T) {
	ctx := context.Background()
	host, n := countingRegistry(t)
	img := randomImage(t, "amd64", 2)
	ref, _ := name.ParseReference(host + "/base:1")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	o := opts(t)

	// By tag: fetched, and usable.
	b, err := Resolve(ctx, host+"/base:1", o)
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest != d.String() {
		t.Errorf("digest %s, want %s", b.Digest, d)
	}
	if err := validate.Image(b.Image); err != nil {
		t.Fatalf("base from the cache: %v", err)
	}
	ls, _ := b.Image.Layers()
	if _, ok := ls[0].(*remote.MountableLayer); !ok {
		t.Errorf("base layers are %T, want mountable", ls[0])
	}

	// By digest, after the layers were read once: no request at all.
	n.Store(0)
	pinned, err := Resolve(ctx, host+"/base@"+d.String(), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(pinned.Image); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 0 {
		t.Errorf("a pinned, cached base made %d requests", n.Load())
	}

	// A tag costs one manifest request (plus the ping), not the blobs.
	n.Store(0)
	if _, err := Resolve(ctx, host+"/base:1", o); err != nil {
		t.Fatal(err)
	}
	if n.Load() > 2 {
		t.Errorf("resolving a cached base by tag made %d requests", n.Load())
	}
}

func TestRegistryBasePicksPlatform(t *testing.T) {
	ctx := context.Background()
	host, _ := countingRegistry(t)
	amd, arm := randomImage(t, "amd64", 1), randomImage(t, "arm64", 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	ref, _ := name.ParseReference(host + "/multi:1")
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	o := opts(t)
	o.Platform = v1.Platform{OS: "linux", Architecture: "arm64"}
	b, err := Resolve(ctx, host+"/multi:1", o)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := arm.Digest()
	if b.Digest != want.String() {
		t.Errorf("picked %s, want the arm64 image %s", b.Digest, want)
	}
	o.Platform = v1.Platform{OS: "linux", Architecture: "s390x"}
	if _, err := Resolve(ctx, host+"/multi:1", o); err == nil || !strings.Contains(err.Error(), "linux/amd64, linux/arm64") {
		t.Errorf("missing platform: %v", err)
	}
}

func TestLayoutBase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := random.Image(100, 1)
	b, _ := random.Image(100, 1)
	lp.AppendImage(a, layout.WithAnnotations(map[string]string{refNameAnnotation: "a"}))
	lp.AppendImage(b, layout.WithAnnotations(map[string]string{refNameAnnotation: "b"}))
	got, err := Resolve(ctx, "oci:"+dir+":b", opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := b.Digest(); got.Digest != want.String() {
		t.Errorf("got %s, want image b %s", got.Digest, want)
	}
	if _, err := Resolve(ctx, "oci:"+dir, opts(t)); err == nil || !strings.Contains(err.Error(), "2 images") {
		t.Errorf("ambiguous layout: %v", err)
	}
	if _, err := Resolve(ctx, "oci:"+dir+":zzz", opts(t)); err == nil || !strings.Contains(err.Error(), `"zzz"`) {
		t.Errorf("missing tag: %v", err)
	}
	if _, err := Resolve(ctx, "oci:/nonexistent/layout", opts(t)); err == nil || !strings.Contains(err.Error(), "/nonexistent/layout") {
		t.Errorf("missing layout: %v", err)
	}
}

func TestBadReferences(t *testing.T) {
	ctx := context.Background()
	for _, spec := range []string{"Not A Ref", "tar:/nonexistent.tar"} {
		if _, err := Resolve(ctx, spec, opts(t)); err == nil {
			t.Errorf("%q: no error", spec)
		}
	}
}

func randomImage(t *testing.T, arch string, layers int64) v1.Image {
	t.Helper()
	img, err := random.Image(256, layers)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
