package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ggcrtransport "github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"github.com/langbuild/langbuild/transport"
)

// Registry pushes to a repository in a registry. Only blobs the registry lacks
// are uploaded (a HEAD per blob, or a cross-repository mount for the layers of
// a base in the same registry); blobs an earlier push placed in the
// repository are not asked about (see pushedBlobs). The manifest goes last, so
// a tag never names an image whose blobs are missing.
type Registry struct {
	ref    name.Tag
	tags   []name.Tag
	opts   Options
	pushed *pushedBlobs

	mu     sync.Mutex
	client *remote.Pusher
	seen   *uploadRecorder

	// Uploads made while the layers were written (stream.go).
	httpMu        sync.Mutex // held while the client authenticates
	http          *http.Client
	openScheme    string // the registry was taken to be open, on this scheme
	streamMu      sync.Mutex
	streamed      map[string]*uploadSession // by layer digest
	configSession *uploadSession
	spare         *uploadSession // opened for the first layer streamed
	releasing     sync.WaitGroup
	// Uploads are opened for the publisher, not for one build: a build
	// that fails leaves them to the next (watch), and Close ends them.
	sessionCtx  context.Context
	endSessions context.CancelFunc
}

// uploadRecorder notes the blobs a push uploads or mounts, from the
// registry's answers, so a summary can say which layers moved.
type uploadRecorder struct {
	mu       sync.Mutex
	written  map[string]bool
	mounted  map[string]bool // those of written mounted from another repository
	uploaded func(int64)
}

// wrap returns rt with the recorder watching its requests.
func (u *uploadRecorder) wrap(rt http.RoundTripper) http.RoundTripper {
	return &recordingTransport{next: rt, rec: u}
}

type recordingTransport struct {
	next http.RoundTripper
	rec  *uploadRecorder
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	u := t.rec
	if u.uploaded != nil && req.Body != nil && (req.Method == http.MethodPatch || req.Method == http.MethodPut) &&
		strings.Contains(req.URL.Path, "/blobs/uploads/") {
		// A copy: the caller may send this request again and must find
		// its own body on it, not this wrapper.
		req = req.Clone(req.Context())
		req.Body = &countingBody{ReadCloser: req.Body, report: u.uploaded}
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusCreated || !strings.Contains(req.URL.Path, "/blobs/uploads/") {
		return resp, err
	}
	q := req.URL.Query()
	d, mounted := q.Get("digest"), false
	if d == "" {
		d, mounted = q.Get("mount"), true
	}
	if d != "" {
		u.mu.Lock()
		u.written[d] = true
		if mounted {
			u.mounted[d] = true
		}
		u.mu.Unlock()
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	report func(int64)
}

// WriteTo keeps the body's own WriteTo (see blobQueue), counting.
func (c *countingBody) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := c.ReadCloser.(io.WriterTo); ok {
		return wt.WriteTo(countingWriter{w, c.report})
	}
	return io.Copy(w, struct{ io.Reader }{c})
}

type countingWriter struct {
	w      io.Writer
	report func(int64)
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if n > 0 {
		c.report(int64(n))
	}
	return n, err
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if n > 0 {
		c.report(int64(n))
	}
	return n, err
}

// take returns the blobs written since the last call, and which of them
// were mounted.
func (u *uploadRecorder) take() (written, mounted []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for d := range u.written {
		written = append(written, d)
		if u.mounted[d] {
			mounted = append(mounted, d)
		}
	}
	u.written, u.mounted = map[string]bool{}, map[string]bool{}
	sort.Strings(written)
	sort.Strings(mounted)
	return written, mounted
}

// NewRegistry returns a publisher that pushes to ref (a tag; "latest" when none).
func NewRegistry(ref string, opts Options) (*Registry, error) {
	r, err := opts.Registry.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("output %q is not a valid image reference: %w", ref, err)
	}
	tag, ok := r.(name.Tag)
	if !ok {
		return nil, fmt.Errorf("output %q names a digest; push to a tag", ref)
	}
	if err := opts.Registry.CheckHost(tag); err != nil {
		return nil, err
	}
	p := &Registry{
		ref:    tag,
		opts:   opts,
		pushed: newPushedBlobs(opts.PushedDir, tag.Context().String()),
		seen:   &uploadRecorder{written: map[string]bool{}, mounted: map[string]bool{}, uploaded: opts.Uploaded},

		streamed: map[string]*uploadSession{},
	}
	p.sessionCtx, p.endSessions = context.WithCancel(context.Background())
	for _, t := range opts.Tags {
		nt, err := name.NewTag(tag.Context().String()+":"+t, tagOpts(opts)...)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", t, err)
		}
		p.tags = append(p.tags, nt)
	}
	return p, nil
}

func tagOpts(o Options) []name.Option {
	if o.Registry.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// pusher returns the registry client, made on first use. One client for the
// whole build lets Prepare's work (authentication, base layer checks and
// mounts) count for Publish: a blob it has handled is not asked about again.
func (p *Registry) pusher(ctx context.Context) (*remote.Pusher, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		c, err := remote.NewPusher(p.registryOptions().Remote(ctx)...)
		if err != nil {
			return nil, err
		}
		p.client = c
	}
	return p.client, nil
}

// registryOptions are the registry settings with the upload recorder
// watching every request.
func (p *Registry) registryOptions() transport.Options {
	reg := p.opts.Registry
	inner := reg.Wrap
	reg.Wrap = func(rt http.RoundTripper) http.RoundTripper {
		if inner != nil {
			rt = inner(rt)
		}
		return p.seen.wrap(rt)
	}
	return reg
}

// Warm implements Warmer: when this cache pushed to the repository before,
// so that layers will be streamed, it authenticates and makes uploads ready
// in the background. An open upload is not part of the repository: it
// expires unused, or the next build takes it.
func (p *Registry) Warm(ctx context.Context) {
	if p.pushed.any() {
		p.openSessions(ctx)
	}
}

// Prepare implements Preparer: while the layers are written, it
// authenticates, makes sure the base's layers are in the target repository
// (found there, or mounted from the base's own repository) and makes uploads
// ready for streaming.
func (p *Registry) Prepare(ctx context.Context, base v1.Image) error {
	c, err := p.pusher(ctx)
	if err != nil {
		return err
	}
	layers, err := base.Layers()
	if err != nil {
		return err
	}
	if p.pushed.any() {
		// Layers will be streamed (see StreamLayer): their uploads are
		// made ready, in the background, by a client that authenticates
		// on the way. Should that fail, the layers go up the ordinary way.
		p.openSessions(ctx)
	}
	if err := p.upload(ctx, c, layers, v1.Hash{}); err != nil {
		return fmt.Errorf("pushing base layers to %s: %w", p.ref.Context(), transport.Brief(err))
	}
	if p.pushed.any() {
		// Layers will be streamed and the manifest put by the client
		// that streams them (see putManifest), authenticated already.
		return nil
	}
	if len(layers) > 0 {
		// Even when every base layer was placed before, one check (a HEAD)
		// authenticates and opens a connection while nothing waits for it.
		if err := c.Upload(ctx, p.ref.Context(), layers[0]); err != nil {
			return fmt.Errorf("pushing base layers to %s: %w", p.ref.Context(), transport.Brief(err))
		}
	}
	return nil
}

// upload places the blobs in the repository, but for those an earlier push
// placed there. A blob streamed while it was written (or the config, whose
// upload was opened meanwhile) needs only its upload completed; should that
// fail, it is uploaded the ordinary way.
func (p *Registry) upload(ctx context.Context, c *remote.Pusher, blobs []v1.Layer, config v1.Hash) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(p.opts.Registry.UploadJobs())
	for _, l := range blobs {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		if p.pushed.has(d.String()) {
			continue
		}
		g.Go(func() error {
			if p.uploadStreamed(ctx, l, d == config) {
				return nil
			}
			return c.Upload(ctx, p.ref.Context(), l)
		})
	}
	return g.Wait()
}

// push uploads the blobs the repository lacks and puts the manifest. When
// every blob was placed before, the image may be there already: ggcr's Push
// asks for the tag first and puts nothing when it names this image.
func (p *Registry) push(ctx context.Context, c *remote.Pusher, img v1.Image, blobs []v1.Layer) error {
	fresh := false
	for _, l := range blobs {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		fresh = fresh || !p.pushed.has(d.String())
	}
	if !fresh {
		return c.Push(ctx, p.ref, img)
	}
	config, err := img.ConfigName()
	if err != nil {
		return err
	}
	if err := p.upload(ctx, c, blobs, config); err != nil {
		return err
	}
	if p.pushed.any() {
		// The client that streamed the layers is ready: ggcr's would first
		// authenticate anew. Should the request fail but for a missing
		// blob, ggcr's client tries again, with its retries.
		err := p.putManifest(ctx, p.ref, img)
		if err == nil || blobsLost(err) || ctx.Err() != nil {
			return err
		}
	}
	return c.Put(ctx, p.ref, img)
}

// putManifest puts img's manifest under tag.
func (p *Registry) putManifest(ctx context.Context, tag name.Tag, img v1.Image) error {
	raw, err := img.RawManifest()
	if err != nil {
		return err
	}
	mt, err := img.MediaType()
	if err != nil {
		return err
	}
	c, err := p.httpClient(ctx)
	if err != nil {
		return err
	}
	repo := tag.Context()
	u := url.URL{Scheme: repo.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/manifests/" + tag.TagStr()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", string(mt))
	resp, err := c.Do(req)
	p.unreached(resp, err)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return ggcrtransport.CheckError(resp, http.StatusOK, http.StatusCreated, http.StatusAccepted)
}

// Publish implements Interface.
func (p *Registry) Publish(ctx context.Context, img v1.Image) (Result, error) {
	digest, err := imageDigest(img)
	if err != nil {
		return Result{}, err
	}
	blobs, err := imageBlobs(img)
	if err != nil {
		return Result{}, fmt.Errorf("pushing %s: %w", p.ref, err)
	}
	config, err := img.ConfigName()
	if err != nil {
		return Result{}, fmt.Errorf("pushing %s: %w", p.ref, err)
	}
	p.releaseSessions(ctx, p.pushed.has(config.String()))
	defer p.releaseSessions(ctx, true)
	for attempt := 0; ; attempt++ {
		c, err := p.pusher(ctx)
		if err != nil {
			return Result{}, fmt.Errorf("pushing %s: %w", p.ref, transport.Brief(err))
		}
		if attempt == 0 {
			err = p.push(ctx, c, img, blobs)
		} else {
			err = c.Push(ctx, p.ref, img)
		}
		if err == nil {
			break
		}
		if attempt >= 2 || !blobsLost(err) || ctx.Err() != nil {
			return Result{}, fmt.Errorf("pushing %s: %w", p.ref, transport.Brief(err))
		}
		// The registry lost or mangled a blob: it was wiped or replaced
		// since the record of pushed blobs was written, or concurrent
		// pushes of the same blob raced. Forget the record and push again
		// with a fresh client, which checks every blob anew. The manifest
		// was refused, so no tag names the incomplete image meanwhile.
		p.pushed.forget()
		p.mu.Lock()
		p.client = nil
		p.mu.Unlock()
	}
	var ds []string
	for _, l := range blobs {
		d, _ := l.Digest()
		ds = append(ds, d.String())
	}
	// The record only saves checks; failing to write it fails nothing.
	_ = p.pushed.add(ds)
	c, err := p.pusher(ctx)
	if err != nil {
		return Result{}, err
	}
	for _, t := range p.tags {
		// The image is in the repository now: only the tag is put.
		if err := c.Put(ctx, t, img); err != nil {
			return Result{}, fmt.Errorf("tagging %s: %w", t, transport.Brief(err))
		}
	}
	written, mounted := p.seen.take()
	return Result{
		References: []string{p.ref.Context().Digest(digest).String()},
		Digest:     digest,
		Written:    written,
		Mounted:    mounted,
	}, nil
}

// imageBlobs lists the image's layers and its config, the blobs its
// manifest refers to.
func imageBlobs(img v1.Image) ([]v1.Layer, error) {
	ls, err := img.Layers()
	if err != nil {
		return nil, err
	}
	cl, err := partial.ConfigLayer(img)
	if err != nil {
		return nil, err
	}
	return append(ls, cl), nil
}

// blobsLost reports a refusal that a fresh push can mend: the registry does
// not have, or did not accept, a blob the manifest needs.
func blobsLost(err error) bool {
	var te *ggcrtransport.Error
	if !errors.As(err, &te) {
		return false
	}
	for _, d := range te.Errors {
		switch d.Code {
		case ggcrtransport.ManifestBlobUnknownErrorCode, ggcrtransport.BlobUnknownErrorCode, ggcrtransport.DigestInvalidErrorCode,
			ggcrtransport.BlobUploadUnknownErrorCode, ggcrtransport.BlobUploadInvalidErrorCode:
			return true
		}
	}
	return false
}

// Close implements Interface.
func (p *Registry) Close() error {
	p.releasing.Wait()
	// Uploads made ready for a build that published nothing (its compile
	// failed) are kept for the next, when they are open already.
	p.streamMu.Lock()
	for _, s := range []*uploadSession{p.configSession, p.spare} {
		if s == nil {
			continue
		}
		select {
		case <-s.done:
			if s.err == nil {
				p.pushed.keepUpload(s.location)
			}
		default:
		}
	}
	p.configSession, p.spare = nil, nil
	p.streamMu.Unlock()
	p.endSessions()
	return nil
}
