package image

import (
	"context"
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/langbuild/langbuild/layering"
)

func buildPlan(t *testing.T) (*layering.Plan, []layering.Blob) {
	t.Helper()
	p := &layering.Plan{
		Layers: []layering.Layer{
			{Name: "assets", Entries: []layering.Entry{{Path: "/data/a.txt", Type: layering.TypeFile, Data: []byte("a")}}},
			{Name: "empty"},
			{Name: "binary", Entries: []layering.Entry{{Path: "/app/x", Type: layering.TypeFile, Data: []byte("bin"), Mode: 0o755}}},
		},
		Config: layering.Config{
			Entrypoint: []string{"/app/x"},
			Env:        []string{"PATH=/app", "DATA=/data"},
			User:       "65532",
			Ports:      []string{"8080"},
			Labels:     map[string]string{"k": "v"},
		},
	}
	c, err := layering.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := layering.NewBuilder(c)
	blobs, err := b.Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return p, blobs
}

func TestAssembleOCI(t *testing.T) {
	p, blobs := buildPlan(t)
	base, err := random.Image(100, 2)
	if err != nil {
		t.Fatal(err)
	}
	base = mutate.MediaType(base, types.OCIManifestSchema1)
	base, _ = mutate.Config(base, v1.Config{Env: []string{"PATH=/usr/bin", "HOME=/"}, Cmd: []string{"sh"}})
	img, err := Assemble(Base{Image: base, Name: "example.com/base:1", Digest: "sha256:abc"}, p, blobs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("invalid image: %v", err)
	}
	m, _ := img.Manifest()
	if len(m.Layers) != 4 {
		t.Fatalf("%d layers, want 2 base + 2 (the empty layer dropped)", len(m.Layers))
	}
	for _, l := range m.Layers[2:] {
		if l.MediaType != types.OCILayer {
			t.Errorf("layer media type %s", l.MediaType)
		}
	}
	// Which blob is where: the base's layers first, in their order, then
	// the plan's, in the plan's order, in the manifest, in the config's
	// diff IDs and in the history alike.
	bm, _ := base.Manifest()
	bcf, _ := base.ConfigFile()
	cf0, _ := img.ConfigFile()
	if len(blobs) != 2 || blobs[0].Name != "assets" || blobs[1].Name != "binary" {
		t.Fatalf("blobs %+v", blobs)
	}
	for i, want := range []struct{ digest, diffID string }{
		{bm.Layers[0].Digest.String(), bcf.RootFS.DiffIDs[0].String()},
		{bm.Layers[1].Digest.String(), bcf.RootFS.DiffIDs[1].String()},
		{blobs[0].Digest, blobs[0].DiffID},
		{blobs[1].Digest, blobs[1].DiffID},
	} {
		if got := m.Layers[i].Digest.String(); got != want.digest {
			t.Errorf("manifest layer %d is %s, want %s", i, got, want.digest)
		}
		if got := cf0.RootFS.DiffIDs[i].String(); got != want.diffID {
			t.Errorf("diff ID %d is %s, want %s", i, got, want.diffID)
		}
	}
	var comments []string
	for _, h := range cf0.History {
		if !h.EmptyLayer {
			comments = append(comments, h.Comment)
		}
	}
	if n := len(comments); n < 2 || comments[n-2] != "assets" || comments[n-1] != "binary" {
		t.Errorf("history of the layers %q, want the plan's last, assets then binary", comments)
	}
	if m.Annotations[AnnotationBaseName] != "example.com/base:1" || m.Annotations[AnnotationBaseDigest] != "sha256:abc" {
		t.Errorf("annotations %v", m.Annotations)
	}
	cf, _ := img.ConfigFile()
	if !cf.Created.Time.Equal(time.Unix(0, 0)) {
		t.Errorf("created %s", cf.Created)
	}
	if want := []string{"PATH=/app", "HOME=/", "DATA=/data"}; !slices.Equal(cf.Config.Env, want) {
		t.Errorf("env %q, want %q", cf.Config.Env, want)
	}
	if cf.Config.Cmd != nil {
		t.Errorf("base cmd kept under a new entrypoint: %q", cf.Config.Cmd)
	}
	if _, ok := cf.Config.ExposedPorts["8080/tcp"]; !ok || cf.Config.User != "65532" || cf.Config.Labels["k"] != "v" {
		t.Errorf("config %+v", cf.Config)
	}
	h := cf.History[len(cf.History)-2:]
	if h[0].Comment != "assets" || h[1].Comment != "binary" || h[1].CreatedBy != "langbuild" {
		t.Errorf("history %+v", h)
	}
}

func TestAssembleFollowsDockerBase(t *testing.T) {
	p, blobs := buildPlan(t)
	base, _ := random.Image(100, 1) // random images are Docker-typed
	img, err := Assemble(Base{Image: base}, p, blobs, Options{Created: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatal(err)
	}
	m, _ := img.Manifest()
	if m.MediaType != types.DockerManifestSchema2 {
		t.Errorf("manifest type %s", m.MediaType)
	}
	for _, l := range m.Layers[1:] {
		if l.MediaType != types.DockerLayer {
			t.Errorf("layer type %s on a Docker base", l.MediaType)
		}
	}
	cf, _ := img.ConfigFile()
	if cf.Created.Unix() != 1700000000 {
		t.Errorf("created %s", cf.Created)
	}
}
