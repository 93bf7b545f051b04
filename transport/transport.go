// Package transport configures how langbuild talks to registries: credentials,
// timeouts, retries and which hosts may be reached over plain HTTP. Pulling a
// base and publishing an image use the same settings.
package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ggcrtransport "github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Options are the registry settings shared by every registry call.
type Options struct {
	// Insecure allows plain HTTP (and unverified TLS) to any registry. Without
	// it only loopback registries (localhost, 127.0.0.1, [::1]) use HTTP.
	Insecure bool
	// DialTimeout bounds connecting to a registry, so an unreachable one fails
	// in seconds. Zero means 5 seconds.
	DialTimeout time.Duration
	// ResponseTimeout bounds the wait for a registry's answer to one
	// request (a hung registry), and how long a connection may stall while
	// a request or an answer is under way (a registry that stops reading
	// an upload); zero means 60 seconds.
	ResponseTimeout time.Duration
	// Retries is how many times a failed request is tried again (with
	// exponential backoff from 0.3 s, capped at 10 s a wait); zero means 2.
	Retries int
	// Jobs is how many blobs are uploaded at once; zero means 4.
	Jobs int
	// RootCAs are the certificate authorities trusted for registries and
	// their token servers; nil means the system's (which honours
	// SSL_CERT_FILE). LoadCAs makes a pool of the system's and a file's.
	RootCAs *x509.CertPool
	// Keychain resolves credentials; nil means the Docker config keychain.
	Keychain authn.Keychain
	// Wrap, when set, wraps the HTTP transport (publishers use it to see
	// which blobs a push uploads).
	Wrap func(http.RoundTripper) http.RoundTripper
}

// ParseReference parses an image reference, honouring Insecure.
func (o Options) ParseReference(s string) (name.Reference, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	return name.ParseReference(s, nopts...)
}

// Remote returns go-containerregistry remote options for these settings.
func (o Options) Remote(ctx context.Context, extra ...remote.Option) []remote.Option {
	retries := o.Retries
	if retries == 0 {
		retries = 2
	}
	if retries < 0 {
		retries = 0
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain()),
		remote.WithTransport(o.RoundTripper()),
		remote.WithJobs(o.UploadJobs()),
		remote.WithUserAgent("langbuild"),
		remote.WithRetryBackoff(backoff(retries)),
		remote.WithRetryPredicate(retryable),
	}
	return append(opts, extra...)
}

// retryable is go-containerregistry's retry predicate plus one case it
// misses: a registry that did not answer within ResponseTimeout. net/http
// reports that with an error that also says it is context.DeadlineExceeded,
// which ggcr's predicate takes for the caller's own deadline and does not
// retry, so a hung upload failed at its first timeout whatever --retries
// said. The caller's deadline (the error itself being
// context.DeadlineExceeded) and cancellation are still not retried.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e == context.DeadlineExceeded {
			return false
		}
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return true
	}
	var tmp interface{ Temporary() bool }
	if errors.As(err, &tmp) && tmp.Temporary() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}

func (o Options) keychain() authn.Keychain {
	if o.Keychain == nil {
		return authn.DefaultKeychain
	}
	return o.Keychain
}

// RoundTripper is the HTTP transport for these settings (timeouts, TLS,
// Wrap, bodies that can be sent again), without authentication or retries.
func (o Options) RoundTripper() http.RoundTripper {
	var rt http.RoundTripper = o.httpTransport()
	if o.Wrap != nil {
		rt = o.Wrap(rt)
	}
	return rewinder{rt}
}

// PushClient returns an HTTP client authenticated to push to repo, for the
// requests go-containerregistry does not make itself.
//
// A registry is open when no credentials are configured for it and its
// /v2/ answers without asking for any (a local registry, usually). open is
// the scheme ("http" or "https") an earlier call found the registry open
// on, or "": given, the registry is not asked again (a ping is two requests,
// and on a dev machine the registry's time is the build's). The scheme
// returned is the one an open registry answered on, for the caller to
// remember, or "" when the registry is not open.
func (o Options) PushClient(ctx context.Context, repo name.Repository, open string) (*http.Client, string, error) {
	auth, err := authn.Resolve(ctx, o.keychain(), repo)
	if err != nil {
		return nil, "", fmt.Errorf("credentials for %s: %w", repo, err)
	}
	anonymous := false
	if cfg, err := auth.Authorization(); err == nil && (cfg == nil || *cfg == authn.AuthConfig{}) {
		anonymous = true
	}
	if anonymous && open == "" {
		ch, err := ggcrtransport.Ping(ctx, repo.Registry, o.RoundTripper())
		if err != nil {
			return nil, "", err
		}
		if ch.Scheme == "" {
			open = "https"
			if ch.Insecure {
				open = "http"
			}
		}
	}
	if anonymous && open != "" {
		rt := &schemeTransport{scheme: open, next: o.RoundTripper()}
		return &http.Client{Transport: ggcrtransport.NewUserAgent(rt, "langbuild")}, open, nil
	}
	rt, err := ggcrtransport.NewWithContext(ctx, repo.Registry, auth, o.RoundTripper(), []string{repo.Scope(ggcrtransport.PushScope)})
	if err != nil {
		return nil, "", err
	}
	return &http.Client{Transport: ggcrtransport.NewUserAgent(rt, "langbuild")}, "", nil
}

// schemeTransport sends requests with the scheme a registry answered on
// (image references name a registry, not its scheme).
type schemeTransport struct {
	scheme string
	next   http.RoundTripper
}

func (t *schemeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != t.scheme {
		req = req.Clone(req.Context())
		req.URL.Scheme = t.scheme
	}
	return t.next.RoundTrip(req)
}

// UploadJobs is how many blobs are uploaded at once: Jobs, or 4.
func (o Options) UploadJobs() int {
	if o.Jobs > 0 {
		return o.Jobs
	}
	return 4
}

// backoff waits 0.3 s before the first retry and three times longer before
// each next, but never more than 10 s: with many retries the factor is lowered
// so the last wait is the cap. (ggcr's own Cap would end the retries early.)
func backoff(retries int) remote.Backoff {
	const first, most = 300 * time.Millisecond, 10 * time.Second
	factor := 3.0
	if retries > 1 {
		factor = min(factor, math.Pow(float64(most)/float64(first), 1/float64(retries-1)))
	}
	return remote.Backoff{Duration: first, Factor: factor, Jitter: 0.1, Steps: retries + 1}
}

// CheckHost refuses plain-HTTP-by-default hosts that are not loopback unless
// Insecure is set; go-containerregistry would otherwise also use HTTP for
// private-range addresses.
func (o Options) CheckHost(ref name.Reference) error {
	if o.Insecure || ref.Context().Scheme() == "https" {
		return nil
	}
	host := ref.Context().RegistryStr()
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" || h == "::1" || h == "[::1]" {
		return nil
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("registry %s would be reached over plain HTTP: pass --insecure to allow it", host)
}

// httpTransport is the HTTP transport under every registry call.
func (o Options) httpTransport() *http.Transport {
	dial := o.DialTimeout
	if dial == 0 {
		dial = 5 * time.Second
	}
	stall := o.ResponseTimeout
	if stall <= 0 {
		stall = 60 * time.Second
	}
	t := remote.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &stallConn{Conn: c, stall: stall}, nil
	}
	t.TLSHandshakeTimeout = dial
	t.ResponseHeaderTimeout = stall
	if o.Insecure || o.RootCAs != nil {
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		t.TLSClientConfig.InsecureSkipVerify = o.Insecure
		t.TLSClientConfig.RootCAs = o.RootCAs
	}
	return t
}

// stallConn fails a read or write after stall without progress. The
// header timeout alone does not start until a request is written, so a
// registry that stops reading an upload would hold a push for ever; a
// deadline that each read and write pushes on bounds that, and still lets a
// slow transfer that moves go on for as long as it takes. While a request is
// written, the read that waits for its answer is given twice as long, so a
// stalled upload fails with its own write timeout.
type stallConn struct {
	net.Conn
	stall time.Duration

	mu        sync.Mutex
	readFloor time.Time // the read deadline while a request is written
}

func (c *stallConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	d := time.Now().Add(c.stall)
	if c.readFloor.After(d) {
		d = c.readFloor
	}
	c.Conn.SetReadDeadline(d)
	c.mu.Unlock()
	return c.Conn.Read(p)
}

func (c *stallConn) Write(p []byte) (int, error) {
	// In pieces, so that a slow link moving a large write counts as progress.
	written := 0
	for len(p) > 0 {
		c.writing()
		n, err := c.Conn.Write(p[:min(len(p), 16<<10)])
		written += n
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (c *stallConn) writing() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	c.Conn.SetWriteDeadline(now.Add(c.stall))
	c.readFloor = now.Add(2 * c.stall)
	c.Conn.SetReadDeadline(c.readFloor)
}

// Brief drops the query from the URL in the error of a request that failed
// on the way (a *url.Error): registries put upload state tokens of hundreds
// of characters there, which bury the cause.
func Brief(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil || u.RawQuery == "" {
		return err
	}
	u.RawQuery = ""
	return &briefError{msg: strings.ReplaceAll(err.Error(), ue.URL, u.String()), err: err}
}

type briefError struct {
	msg string
	err error
}

func (e *briefError) Error() string { return e.msg }
func (e *briefError) Unwrap() error { return e.err }
