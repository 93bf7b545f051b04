package publish

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// streamLayer copies a new random layer into the publisher's stream, in
// pieces, as the layer builder would while compressing, and returns the
// image with it added.
func streamLayer(t *testing.T, p *Registry, base v1.Image, fail error) v1.Image {
	t.Helper()
	return streamLayerFinishing(t, p, base, fail, -1)
}

// streamLayerFinishing is streamLayer with Finishing called once finishAt
// bytes are written (never when negative).
func streamLayerFinishing(t *testing.T, p *Registry, base v1.Image, fail error, finishAt int) v1.Image {
	t.Helper()
	l, err := random.Layer(3000, "application/vnd.oci.image.layer.v1.tar+gzip")
	if err != nil {
		t.Fatal(err)
	}
	s := p.StreamLayer(context.Background(), "binary")
	if s == nil {
		t.Fatal("no stream into a repository pushed to before")
	}
	rc, _ := l.Compressed()
	b, _ := io.ReadAll(rc)
	written := 0
	for len(b) > 0 {
		if finishAt >= 0 && written >= finishAt {
			s.Finishing()
			finishAt = -1
		}
		n := min(len(b), 700)
		s.Write(b[:n])
		b = b[n:]
		written += n
	}
	d, _ := l.Digest()
	size, _ := l.Size()
	s.Done(d.String(), size, fail)
	img, err := mutate.AppendLayers(base, l)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// A layer streamed while it was written is committed with one PUT; the
// config goes in one PUT into an upload opened meanwhile; nothing is asked
// about first.
func TestStreamedLayer(t *testing.T) {
	reg, host, dir, first := pushedFirst(t)
	ref := host + "/app:dev"
	p, err := NewRegistry(ref, Options{PushedDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	reg.take()
	second := streamLayer(t, p, first, nil)
	res, err := p.Publish(context.Background(), second)
	if err != nil {
		t.Fatal(err)
	}
	reqs := reg.take()
	if count(reqs, "HEAD", "/blobs/") != 0 || count(reqs, "POST", "/blobs/uploads/") != 2 ||
		count(reqs, "PATCH", "/blobs/uploads/") != 1 || count(reqs, "PUT", "/blobs/uploads/") != 2 || len(res.Written) != 2 {
		t.Errorf("want 2 POSTs, 1 PATCH (the layer), 2 PUTs (layer and config) and no HEAD; written %v, requests %q", res.Written, reqs)
	}
	checkTag(t, ref, second)
}

// When the compressor has all its input, the PATCH ends, and the layer's
// last bytes go with the commit.
func TestStreamEndsWithTheCommit(t *testing.T) {
	reg, host, dir, first := pushedFirst(t)
	ref := host + "/app:dev"
	p, err := NewRegistry(ref, Options{PushedDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var patched, committed atomic.Int64
	reg.intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.Path, "/blobs/uploads/") {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(b)))
			switch {
			case r.Method == http.MethodPatch:
				patched.Add(int64(len(b)))
			case r.Method == http.MethodPut && len(b) > 1000:
				committed.Add(int64(len(b))) // the layer's, not the config's
			}
		}
		return false
	})
	reg.take()
	second := streamLayerFinishing(t, p, first, nil, 2100)
	if _, err := p.Publish(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	ls, _ := second.Layers()
	size, _ := ls[len(ls)-1].Size()
	if patched.Load() != 2100 || committed.Load() != size-2100 {
		t.Errorf("PATCH carried %d bytes and the commit %d; want 2100 and %d", patched.Load(), committed.Load(), size-2100)
	}
	reqs := reg.take()
	if count(reqs, "PATCH", "/blobs/uploads/") != 1 || count(reqs, "PUT", "/blobs/uploads/") != 2 {
		t.Errorf("want 1 PATCH and 2 PUTs: %q", reqs)
	}
	checkTag(t, ref, second)
}

// A stream that failed (the layer failed, or the registry refused the
// upload) leaves the blob to the ordinary upload.
func TestStreamFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layer  error
		refuse string // a request the registry refuses
	}{
		{name: "layer failed", layer: errors.New("disk full")},
		{name: "PATCH refused", refuse: "PATCH"},
		{name: "commit refused", refuse: "PUT /v2/app/blobs/uploads/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, host, dir, first := pushedFirst(t)
			ref := host + "/app:dev"
			p, err := NewRegistry(ref, Options{PushedDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			refused := &atomic.Int32{}
			if tc.refuse != "" {
				refused, _ = reg.refuseOnce(tc.refuse, http.StatusBadRequest, "BLOB_UPLOAD_INVALID")
			}
			second := streamLayer(t, p, first, tc.layer)
			if _, err := p.Publish(context.Background(), second); err != nil {
				t.Fatal(err)
			}
			if tc.refuse != "" && refused.Load() != 1 {
				t.Errorf("the registry was not asked for %s", tc.refuse)
			}
			checkTag(t, ref, second)
		})
	}
}

// Into a repository this cache never pushed to, nothing is streamed: a
// layer written anew may be there already, and a check costs less than an
// upload.
func TestNoStreamIntoUnknownRepository(t *testing.T) {
	_, host, dir, _ := pushedFirst(t)
	p, err := NewRegistry(host+"/other:dev", Options{PushedDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.StreamLayer(context.Background(), "binary"); s != nil {
		t.Errorf("stream into an unknown repository: %v", s)
	}
}

// Uploads opened while the program compiled and left unused by a build
// that wrote no layer anew are kept for the next build, which checks them
// and streams into them instead of opening new ones.
func TestOpenedUploadsKeptForTheNextBuild(t *testing.T) {
	reg, host, dir, first := pushedFirst(t)
	ref := host + "/app:dev"
	ctx := context.Background()
	build := func(change bool) (v1.Image, []string) {
		t.Helper()
		p, err := NewRegistry(ref, Options{PushedDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		reg.take()
		if err := p.Prepare(ctx, first); err != nil {
			t.Fatal(err)
		}
		img := first
		if change {
			img = streamLayer(t, p, first, nil)
		}
		if _, err := p.Publish(ctx, img); err != nil {
			t.Fatal(err)
		}
		p.Close()
		checkTag(t, ref, img)
		return img, reg.take()
	}
	_, reqs := build(false)
	if count(reqs, "POST", "/blobs/uploads/") != 2 || count(reqs, "DELETE", "") != 0 || count(reqs, "PATCH", "") != 0 {
		t.Errorf("no change: want two uploads opened and kept: %q", reqs)
	}
	_, reqs = build(true)
	if count(reqs, "GET", "/blobs/uploads/") != 2 || count(reqs, "POST", "/blobs/uploads/") != 0 || count(reqs, "PATCH", "") != 1 {
		t.Errorf("change: want the two kept uploads checked and used, none opened: %q", reqs)
	}
}

// Warm makes uploads ready only in a repository this cache pushed to (where
// layers will be streamed), leaves nothing in the repository, and a build
// that then publishes nothing (its compile failed) leaves them to the next.
func TestWarm(t *testing.T) {
	reg, host, dir, first := pushedFirst(t)
	ctx := context.Background()

	other, err := NewRegistry(host+"/other:dev", Options{PushedDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	reg.take()
	other.Warm(ctx)
	other.Close()
	if reqs := reg.take(); len(reqs) != 0 {
		t.Errorf("warm for an unknown repository made requests: %q", reqs)
	}

	ref := host + "/app:dev"
	failed, err := NewRegistry(ref, Options{PushedDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	failed.Warm(ctx)
	for _, s := range []*uploadSession{failed.configSession, failed.spare} {
		if _, err := s.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	failed.Close()
	if reqs := reg.take(); count(reqs, "POST", "/blobs/uploads/") != 2 || len(reqs) != count(reqs, "POST", "")+count(reqs, "GET", "/v2/") {
		t.Errorf("want two uploads opened and nothing else: %q", reqs)
	}

	p, err := NewRegistry(ref, Options{PushedDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p.Warm(ctx)
	second := streamLayer(t, p, first, nil)
	if _, err := p.Publish(ctx, second); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if reqs := reg.take(); count(reqs, "POST", "") != 0 || count(reqs, "GET", "/blobs/uploads/") != 2 {
		t.Errorf("the next build should check and use the two kept uploads: %q", reqs)
	}
	checkTag(t, ref, second)
}

// A registry found open (no credentials asked, none configured) is not
// asked again by the next build; one that then refuses a request for want
// of credentials is asked again after.
func TestOpenRegistryNotAskedAgain(t *testing.T) {
	reg, host, dir, first := pushedFirst(t)
	ref := host + "/app:dev"
	ctx := context.Background()
	push := func(refuse bool) []string {
		t.Helper()
		p, err := NewRegistry(ref, Options{PushedDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if refuse {
			_, restore := reg.refuseOnce("PATCH ", http.StatusUnauthorized, "UNAUTHORIZED")
			defer restore()
		}
		reg.take()
		p.Warm(ctx)
		img := streamLayer(t, p, first, nil)
		if _, err := p.Publish(ctx, img); err != nil {
			t.Fatal(err)
		}
		p.Close()
		reqs := reg.take()
		checkTag(t, ref, img)
		first = img
		return reqs
	}
	// pushedFirst's push went through ggcr's client; this one's pings.
	if reqs := push(false); count(reqs, "GET", "/v2/") == 0 {
		t.Fatalf("no ping the first time: %q", reqs)
	}
	p := &pushedBlobs{dir: dir}
	if s := p.openScheme(host); s != "http" {
		t.Fatalf("open registry not recorded: %q", s)
	}
	if reqs := push(false); count(reqs, "GET", "/v2/") != 0 {
		t.Errorf("an open registry was pinged again: %q", reqs)
	}
	push(true)
	if s := p.openScheme(host); s != "" {
		t.Errorf("still taken to be open after a refusal for credentials: %q", s)
	}
}
