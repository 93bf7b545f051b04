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
	dial := o.DialTimeout
	if dial == 0 {
		dial = 5 * time.Second
	}
	retries := o.Retries
	if retries == 0 {
		retries = 2
	}
	if retries < 0 {
		retries = 0
	}
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
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
	var rt http.RoundTripper = t
	if o.Wrap != nil {
		rt = o.Wrap(t)
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(rt),
		remote.WithJobs(o.UploadJobs()),
		remote.WithUserAgent("langbuild"),
		remote.WithRetryBackoff(remote.Backoff{Duration: 300 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: retries + 1}),
	}
	return append(opts, extra...)
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
