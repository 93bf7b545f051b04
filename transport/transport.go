// Package transport configures how langbuild talks to registries: credentials,
// timeouts, retries and which hosts may be reached over plain HTTP. Pulling a
// base and publishing an image use the same settings.
package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
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
	// request (a hung registry); zero means 60 seconds.
	ResponseTimeout time.Duration
	// Retries is how many times a failed request is tried again (with
	// exponential backoff); zero means 2.
	Retries int
	// Jobs is how many blobs are uploaded at once; zero means 4.
	Jobs int
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
		remote.WithRetryBackoff(remote.Backoff{Duration: 300 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: retries + 1}),
	}
	return append(opts, extra...)
}

func (o Options) keychain() authn.Keychain {
	if o.Keychain == nil {
		return authn.DefaultKeychain
	}
	return o.Keychain
}

// RoundTripper is the HTTP transport for these settings (timeouts, TLS,
// Wrap), without authentication or retries.
func (o Options) RoundTripper() http.RoundTripper {
	dial := o.DialTimeout
	if dial == 0 {
		dial = 5 * time.Second
	}
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = dial
	t.ResponseHeaderTimeout = 60 * time.Second
	if o.ResponseTimeout > 0 {
		t.ResponseHeaderTimeout = o.ResponseTimeout
	}
	if o.Insecure {
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		t.TLSClientConfig.InsecureSkipVerify = true
	}
	if o.Wrap != nil {
		return o.Wrap(t)
	}
	return t
}

// PushClient returns an HTTP client authenticated to push to repo, for the
// requests go-containerregistry does not make itself.
func (o Options) PushClient(ctx context.Context, repo name.Repository) (*http.Client, error) {
	auth, err := authn.Resolve(ctx, o.keychain(), repo)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", repo, err)
	}
	rt, err := ggcrtransport.NewWithContext(ctx, repo.Registry, auth, o.RoundTripper(), []string{repo.Scope(ggcrtransport.PushScope)})
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: ggcrtransport.NewUserAgent(rt, "langbuild")}, nil
}

// UploadJobs is how many blobs are uploaded at once: Jobs, or 4.
func (o Options) UploadJobs() int {
	if o.Jobs > 0 {
		return o.Jobs
	}
	return 4
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
