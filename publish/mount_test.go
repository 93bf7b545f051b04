package publish

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// repoBlobs keeps blobs per repository, as docker-registry does (ggcr's
// in-memory registry shares them between repositories, so that a blob is
// never missing from one and nothing is ever mounted).
type repoBlobs struct {
	mu sync.Mutex
	m  map[string][]byte // repo + "@" + digest
}

// key is where a blob of repo is kept. ggcr's registry names the repository
// of an upload with a "/blobs" suffix.
func key(repo string, h v1.Hash) string {
	return strings.TrimSuffix(repo, "/blobs") + "@" + h.String()
}

func (b *repoBlobs) Stat(_ context.Context, repo string, h v1.Hash) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.m[key(repo, h)]
	if !ok {
		return 0, registry.ErrNotFound
	}
	return int64(len(c)), nil
}

func (b *repoBlobs) Get(_ context.Context, repo string, h v1.Hash) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.m[key(repo, h)]
	if !ok {
		return nil, registry.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(c)), nil
}

func (b *repoBlobs) Put(_ context.Context, repo string, h v1.Hash, rc io.ReadCloser) error {
	defer rc.Close()
	c, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[key(repo, h)] = c
	return nil
}

// mount answers a cross-repository mount (POST .../blobs/uploads/?mount=D&from=R)
// of a blob that R has, as docker-registry does; it returns false for any
// other request.
func (b *repoBlobs) mount(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	repo, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v2/"), "/blobs/uploads/")
	if r.Method != http.MethodPost || !ok || q.Get("mount") == "" {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c, has := b.m[q.Get("from")+"@"+q.Get("mount")]
	if !has {
		return false
	}
	b.m[repo+"@"+q.Get("mount")] = c
	w.Header().Set("Location", "/v2/"+repo+"/blobs/"+q.Get("mount"))
	w.Header().Set("Docker-Content-Digest", q.Get("mount"))
	w.WriteHeader(http.StatusCreated)
	return true
}

// A push on a base in the same registry mounts the base's layers: the result
// tells them from the blobs it uploaded.
func TestRegistryTellsMountedFromUploaded(t *testing.T) {
	blobs := &repoBlobs{m: map[string][]byte{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithBlobHandler(blobs))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !blobs.mount(w, r) {
			reg.ServeHTTP(w, r)
		}
	}))
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")

	b, err := random.Image(300, 3)
	if err != nil {
		t.Fatal(err)
	}
	baseRef, err := name.ParseReference(host + "/base:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(baseRef, b); err != nil {
		t.Fatal(err)
	}
	base, err := remote.Image(baseRef) // its layers know their repository
	if err != nil {
		t.Fatal(err)
	}
	app, err := random.Layer(300, "application/vnd.docker.image.rootfs.diff.tar.gzip")
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, app)
	if err != nil {
		t.Fatal(err)
	}

	p, err := NewRegistry(host+"/app:1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	if err := p.Prepare(ctx, base); err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	var baseLayers []string
	ls, _ := base.Layers()
	for _, l := range ls {
		d, _ := l.Digest()
		baseLayers = append(baseLayers, d.String())
	}
	slices.Sort(baseLayers)
	if !slices.Equal(res.Mounted, baseLayers) {
		t.Errorf("mounted %v, want the base's layers %v", res.Mounted, baseLayers)
	}
	appDigest, _ := app.Digest()
	config, _ := img.ConfigName()
	if len(res.Written) != 5 || !slices.Contains(res.Written, appDigest.String()) || !slices.Contains(res.Written, config.String()) {
		t.Errorf("written %v, want the base's 3 layers, the app layer and the config", res.Written)
	}

	// Pushed again, as a new tag of another repository's image: nothing is
	// written, nothing mounted.
	p2, err := NewRegistry(host+"/app:2", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	res, err = Multi(p2).Publish(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Written) != 0 || len(res.Mounted) != 0 {
		t.Errorf("second push: written %v, mounted %v", res.Written, res.Mounted)
	}
}
