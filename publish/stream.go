package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ggcrtransport "github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Streamer is implemented by publishers that take a layer's compressed
// bytes while the layer is still being written (see layering.WithTee).
type Streamer interface {
	// StreamLayer returns where to copy the layer's bytes, or nil.
	StreamLayer(ctx context.Context, layer string) LayerStream
}

// LayerStream receives a layer's compressed bytes as they are made; Done
// says how the layer ended. Its methods are those of layering.Tee, and
// Finishing, which layering calls when only the compressor's last blocks are
// still to come.
type LayerStream interface {
	io.Writer
	Done(digest string, size int64, err error)
	Finishing()
}

// maxStreamBuffer bounds what a stream holds for a registry slower than the
// compressor; beyond it the stream gives up and the blob is uploaded from
// the cache afterwards, as if it had not been streamed.
const maxStreamBuffer = 64 << 20

var errStreamAbandoned = errors.New("layer stream abandoned")

// blobQueue is a pipe whose writes never wait for the reader (up to
// maxStreamBuffer): the compressor must not stall while the registry
// opens the upload.
type blobQueue struct {
	mu     sync.Mutex
	cond   sync.Cond
	chunks [][]byte
	held   int
	closed bool
	err    error // set with closed: what Read returns once drained
}

func newBlobQueue() *blobQueue {
	q := &blobQueue{}
	q.cond.L = &q.mu
	return q
}

func (q *blobQueue) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, errStreamAbandoned
	}
	if q.held+len(p) > maxStreamBuffer {
		q.abandonLocked(errStreamAbandoned)
		return 0, errStreamAbandoned
	}
	q.chunks = append(q.chunks, copyChunk(p))
	q.held += len(p)
	q.cond.Signal()
	return len(p), nil
}

func (q *blobQueue) Read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.chunks) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.chunks) == 0 {
		return 0, q.err
	}
	n := copy(p, q.chunks[0])
	if n == len(q.chunks[0]) {
		q.chunks = q.chunks[1:]
	} else {
		q.chunks[0] = q.chunks[0][n:]
	}
	q.held -= n
	return n, nil
}

// WriteTo copies the queue to w, each piece as one write, as the pieces
// come: the HTTP client then sends a chunk per piece (128 KiB, as the layer
// writer hands them over) rather than per 32 KiB it would read.
func (q *blobQueue) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for {
		q.mu.Lock()
		for len(q.chunks) == 0 && !q.closed {
			q.cond.Wait()
		}
		chunks, err := q.chunks, q.err
		q.chunks, q.held = nil, 0
		q.mu.Unlock()
		if len(chunks) == 0 {
			if err == io.EOF {
				err = nil
			}
			return n, err
		}
		for _, c := range chunks {
			m, err := w.Write(c)
			n += int64(m)
			if err != nil {
				return n, err
			}
			freeChunk(c)
		}
	}
}

// chunkSize is the size of the pieces the layer writer hands a stream;
// copies of pieces that size are pooled, so a streamed layer costs a few of
// them, not its size in fresh memory (which a short-lived process pays for
// twice: a page fault for each new page, and again to free it at exit).
const chunkSize = 128 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

// copyChunk copies p, into a pooled buffer when it fits one.
func copyChunk(p []byte) []byte {
	if len(p) > chunkSize {
		return bytes.Clone(p)
	}
	bp := chunkPool.Get().(*[]byte)
	return append((*bp)[:0], p...)
}

// freeChunk returns a copy made by copyChunk to the pool.
func freeChunk(b []byte) {
	if cap(b) == chunkSize {
		b = b[:0]
		chunkPool.Put(&b)
	}
}

// Close is called by the HTTP client when it is done with the body.
func (q *blobQueue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.abandonLocked(errStreamAbandoned)
	}
	return nil
}

// finish ends the stream: the reader sees EOF after the last chunk, or err
// at once.
func (q *blobQueue) finish(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if err != nil {
		q.abandonLocked(err)
		return
	}
	q.closed, q.err = true, io.EOF
	q.cond.Broadcast()
}

func (q *blobQueue) abandonLocked(err error) {
	q.closed, q.err = true, err
	q.chunks, q.held = nil, 0
	q.cond.Broadcast()
}

// uploadSession is an upload the registry opened (POST), to be completed
// with a PUT to location.
type uploadSession struct {
	done     chan struct{} // closed when location or err is set
	location string
	err      error
	kept     string   // the upload an earlier build kept, being checked
	last     [][]byte // a streamed layer's last bytes, for the commit
}

func (s *uploadSession) wait(ctx context.Context) (string, error) {
	select {
	case <-s.done:
		return s.location, s.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// layerStream uploads a layer's bytes while the layer is compressed: a PATCH
// whose body is the queue, in an upload opened before (POST). The PATCH ends
// when the compressor has all the input (Finishing), and the bytes that come
// after go with the commit (PUT): the registry stores the PATCH's bytes, the
// slowest of its answers, while the compressor finishes.
type layerStream struct {
	p       *Registry
	q       *blobQueue
	session *uploadSession

	mu       sync.Mutex
	finished bool     // the PATCH's body has ended
	last     [][]byte // what came after
	lastSize int
	lastErr  error
}

func (s *layerStream) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.finished:
		return s.q.Write(b)
	case s.lastErr != nil:
		return 0, s.lastErr
	case s.lastSize+len(b) > maxStreamBuffer:
		s.last, s.lastErr = nil, errStreamAbandoned
		return 0, s.lastErr
	}
	s.last = append(s.last, copyChunk(b))
	s.lastSize += len(b)
	return len(b), nil
}

// Finishing ends the PATCH's body.
func (s *layerStream) Finishing() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.finished {
		s.finished = true
		s.q.finish(nil)
	}
}

func (s *layerStream) Done(digest string, size int64, err error) {
	s.mu.Lock()
	if err == nil {
		err = s.lastErr
	}
	last := s.last
	s.mu.Unlock()
	// The layer failed, or its end could not be kept: the upload is left
	// to expire, and the layer, when there is one, goes up the ordinary way.
	s.q.finish(err)
	if err == nil {
		s.p.streamMu.Lock()
		s.session.last = last
		s.p.streamed[digest] = s.session
		s.p.streamMu.Unlock()
	}
}

// StreamLayer implements Streamer. Layers are streamed only to a repository
// this cache pushed to before: there a layer written anew is new to the
// registry too. Into a repository it knows nothing of (a fresh cache in CI,
// say), a layer is checked for first and may need no upload at all.
func (p *Registry) StreamLayer(ctx context.Context, layer string) LayerStream {
	if !p.pushed.any() {
		return nil
	}
	p.openSessions(ctx)
	p.streamMu.Lock()
	opened := p.spare
	p.spare = nil
	p.streamMu.Unlock()
	s := &layerStream{p: p, q: newBlobQueue(), session: &uploadSession{done: make(chan struct{})}}
	go func() {
		defer close(s.session.done)
		var loc string
		var err error
		if opened != nil {
			loc, err = opened.wait(ctx)
		} else {
			loc, err = p.openUpload(ctx)
		}
		if err == nil {
			loc, err = p.patch(ctx, loc, s.q)
		}
		if err != nil {
			s.q.finish(err)
		}
		s.session.location, s.session.err = loc, err
	}()
	return s
}

// openSessions makes ready, unless ready already, an upload for the config
// (a layer written anew means a new config) and a spare one for the first
// layer streamed. Prepare calls it as layers start to be written, so that a
// stream waits as little as can be for a registry to open an upload (the
// slowest of its answers to a push: 3 to 30 ms for docker-registry). Uploads a build left unused
// are kept for the next (releaseSessions): those are checked (GET) and
// reused, and only what is missing or no longer valid is opened (POST).
func (p *Registry) openSessions(ctx context.Context) {
	p.streamMu.Lock()
	defer p.streamMu.Unlock()
	if p.configSession != nil && !failed(p.configSession) {
		return // ready, or made ready before; the spare may be taken
	}
	// Not ctx: an upload opened for a build that fails is the next one's.
	ctx = p.sessionCtx
	kept := p.pushed.takeUploads()
	ready := func() *uploadSession {
		var loc string
		if len(kept) > 0 {
			loc, kept = kept[0], kept[1:]
		}
		s := &uploadSession{done: make(chan struct{}), kept: loc}
		go func() {
			defer close(s.done)
			if loc != "" {
				if s.location, s.err = p.checkUpload(ctx, loc); s.err == nil {
					return
				}
			}
			s.location, s.err = p.openUpload(ctx)
		}()
		return s
	}
	p.configSession = ready()
	if p.spare == nil || failed(p.spare) {
		p.spare = ready()
	}
	// Those not needed now stay for later (two at most: one build uses two).
	for _, loc := range kept[:min(len(kept), 2)] {
		p.pushed.keepUpload(loc)
	}
}

// failed reports whether s could not be opened (or checked).
func failed(s *uploadSession) bool {
	select {
	case <-s.done:
		return s.err != nil
	default:
		return false
	}
}

// checkUpload asks for the state of an upload kept from an earlier build
// and returns where its bytes go now.
func (p *Registry) checkUpload(ctx context.Context, loc string) (string, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	next, err := p.send(ctx, http.MethodGet, u, nil, 0, http.StatusNoContent)
	if next == "" && err == nil {
		next = loc
	}
	return next, err
}

// httpClient is the authenticated client for the requests ggcr's pusher
// does not make (streamed and monolithic uploads), made on first use.
func (p *Registry) httpClient(ctx context.Context) (*http.Client, error) {
	p.httpMu.Lock()
	defer p.httpMu.Unlock()
	if p.http == nil {
		reg := p.ref.Context().RegistryStr()
		known := p.pushed.openScheme(reg)
		c, open, err := p.registryOptions().PushClient(ctx, p.ref.Context(), known)
		if err != nil {
			return nil, err
		}
		if open != known {
			p.pushed.rememberOpen(reg, open)
		}
		p.http, p.openScheme = c, open
	}
	return p.http, nil
}

// unreached forgets that the registry was found open when a request that
// took it to be failed to connect or was refused for want of credentials:
// the next build asks the registry again. (The request's blob then goes up
// the ordinary way, through ggcr's client, which asks.)
func (p *Registry) unreached(resp *http.Response, err error) {
	p.httpMu.Lock()
	known := p.openScheme
	p.httpMu.Unlock()
	if known == "" {
		return
	}
	ours := errors.Is(err, context.Canceled) || errors.Is(err, errStreamAbandoned) // not the registry's doing
	if err != nil && !ours || resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
		p.pushed.rememberOpen(p.ref.Context().RegistryStr(), "")
	}
}

func (p *Registry) blobURL(path string) *url.URL {
	repo := p.ref.Context()
	return &url.URL{Scheme: repo.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/blobs/" + path}
}

// send makes one request and returns the Location of a response with one of
// the wanted codes, resolved against the request.
func (p *Registry) send(ctx context.Context, method string, u *url.URL, body io.Reader, size int64, want ...int) (string, error) {
	c, err := p.httpClient(ctx)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return "", err
	}
	req.ContentLength = size
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := c.Do(req)
	p.unreached(resp, err)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if err := ggcrtransport.CheckError(resp, want...); err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", nil
	}
	lu, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("registry sent a bad Location %q: %w", loc, err)
	}
	return lu.String(), nil
}

// openUpload starts an upload (POST) and returns where its bytes go.
func (p *Registry) openUpload(ctx context.Context) (string, error) {
	loc, err := p.send(ctx, http.MethodPost, p.blobURL("uploads/"), nil, 0, http.StatusAccepted)
	if err == nil && loc == "" {
		err = errors.New("registry opened an upload with no Location")
	}
	return loc, err
}

// patch sends the whole stream as one chunk and returns where to commit it.
func (p *Registry) patch(ctx context.Context, loc string, body io.ReadCloser) (string, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	next, err := p.send(ctx, http.MethodPatch, u, body, -1, http.StatusAccepted, http.StatusNoContent)
	if next == "" && err == nil {
		next = loc
	}
	return next, err
}

// commit completes an upload at loc as the blob digest, with its last bytes
// (or none).
func (p *Registry) commit(ctx context.Context, loc string, digest v1.Hash, last [][]byte) error {
	u, err := url.Parse(loc)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("digest", digest.String())
	u.RawQuery = q.Encode()
	var body io.Reader
	size := 0
	if len(last) > 0 {
		rs := make([]io.Reader, len(last))
		for i, b := range last {
			rs[i] = bytes.NewReader(b)
			size += len(b)
		}
		body = io.MultiReader(rs...)
	}
	_, err = p.send(ctx, http.MethodPut, u, body, int64(size), http.StatusCreated)
	if err == nil {
		for _, b := range last {
			freeChunk(b)
		}
	}
	return err
}

// takeStreamed returns the upload a layer with this digest was streamed to.
func (p *Registry) takeStreamed(digest string) *uploadSession {
	p.streamMu.Lock()
	defer p.streamMu.Unlock()
	s := p.streamed[digest]
	delete(p.streamed, digest)
	return s
}

// takeConfigSession returns the upload opened for the config, if any.
func (p *Registry) takeConfigSession() *uploadSession {
	p.streamMu.Lock()
	defer p.streamMu.Unlock()
	s := p.configSession
	p.configSession = nil
	return s
}

// uploadStreamed completes the upload of a blob that was streamed (or, for
// the config, whose upload was opened) while the layers were written. It
// reports false when there was none or it failed: the blob is then
// uploaded the ordinary way.
func (p *Registry) uploadStreamed(ctx context.Context, l v1.Layer, isConfig bool) bool {
	d, err := l.Digest()
	if err != nil {
		return false
	}
	var s *uploadSession
	var last [][]byte
	if isConfig {
		if s = p.takeConfigSession(); s == nil {
			return false
		}
		rc, err := l.Compressed()
		if err != nil {
			return false
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return false
		}
		last = [][]byte{b}
	} else if s = p.takeStreamed(d.String()); s == nil {
		return false
	} else {
		last = s.last
	}
	loc, err := s.wait(ctx)
	if err != nil {
		return false
	}
	return p.commit(ctx, loc, d, last) == nil
}

// releaseSessions keeps for the next build the uploads opened for this
// push that nothing will use: the spare one when no layer took it (the
// layers are written by the time the image is published), the config's
// when the config is there already (nothing changed), and all that are left
// once the push is over. It records them in the background once they are
// open; Close waits for that, briefly.
func (p *Registry) releaseSessions(ctx context.Context, configToo bool) {
	p.streamMu.Lock()
	unused := []*uploadSession{p.spare}
	p.spare = nil
	if configToo {
		unused = append(unused, p.configSession)
		p.configSession = nil
		p.streamed = map[string]*uploadSession{}
	}
	p.streamMu.Unlock()
	for _, s := range unused {
		if s == nil {
			continue
		}
		p.releasing.Add(1)
		go func() {
			defer p.releasing.Done()
			select {
			case <-s.done:
			default:
				if s.kept != "" {
					// Still being checked: kept as it was, to be checked
					// by the next build.
					p.pushed.keepUpload(s.kept)
					return
				}
			}
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if loc, err := s.wait(ctx); err == nil {
				p.pushed.keepUpload(loc)
			}
		}()
	}
}
