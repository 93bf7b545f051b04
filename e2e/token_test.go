package e2e

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// Distribution accepts a token until 60 s after its exp claim (clock-skew
// leeway, registry/auth/token); the token server back-dates exp by as much so
// that the registry refuses a token when its lifetime is over.
const registryLeeway = 60 * time.Second

// tokenServer is a Docker registry token server (the distribution token
// spec): it checks the client's basic credentials and issues JWTs signed
// with the test CA's key, the certificate in the x5c header, granting the
// scopes asked for. It records every token it issues.
type tokenServer struct {
	ca         testCA
	user, pass string
	service    string
	issuer     string

	mu      sync.Mutex
	life    time.Duration // how long a token is good for
	issued  []string
	refused int
}

func (ts *tokenServer) setLife(d time.Duration) {
	ts.mu.Lock()
	ts.life = d
	ts.mu.Unlock()
}

func (ts *tokenServer) tokens() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.issued...)
}

func (ts *tokenServer) refusals() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.refused
}

func (ts *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != ts.user || pass != ts.pass {
		ts.mu.Lock()
		ts.refused++
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}`)
		return
	}
	type access struct {
		Type    string   `json:"type"`
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
	}
	var grants []access
	for _, param := range r.URL.Query()["scope"] {
		for _, scope := range strings.Fields(param) {
			typ, rest, _ := strings.Cut(scope, ":")
			i := strings.LastIndex(rest, ":")
			if typ != "repository" || i < 0 {
				continue
			}
			grants = append(grants, access{Type: typ, Name: rest[:i], Actions: strings.Split(rest[i+1:], ",")})
		}
	}
	ts.mu.Lock()
	life := ts.life
	ts.mu.Unlock()
	now := time.Now()
	jti := make([]byte, 8)
	rand.Read(jti)
	claims := map[string]any{
		"iss": ts.issuer, "sub": user, "aud": r.URL.Query().Get("service"),
		"exp": now.Add(life - registryLeeway).Unix(), "nbf": now.Add(-time.Second).Unix(), "iat": now.Unix(),
		"jti": hex.EncodeToString(jti), "access": grants,
	}
	tok, err := ts.sign(claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ts.mu.Lock()
	ts.issued = append(ts.issued, tok)
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "expires_in": int(life.Seconds()), "issued_at": now.UTC().Format(time.RFC3339)})
}

// sign makes an ES256 JWT whose x5c header carries the certificate the
// registry trusts (its rootcertbundle).
func (ts *tokenServer) sign(claims map[string]any) (string, error) {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(ts.ca.der)}})
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signed := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(signed))
	rr, ss, err := ecdsa.Sign(rand.Reader, ts.ca.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	rr.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return signed + "." + enc.EncodeToString(sig), nil
}

// tokenRegistry starts a token server and a TLS docker-registry that sends
// clients to it for Bearer tokens. It returns the server, the realm and the
// registry's host:port.
func tokenRegistry(t *testing.T, ca testCA, user, pass string) (*tokenServer, string, string) {
	t.Helper()
	ts := &tokenServer{ca: ca, user: user, pass: pass, service: "langbuild-test-registry", issuer: "langbuild-test-issuer", life: time.Minute}
	srv := httptest.NewUnstartedServer(ts)
	srv.TLS = ca.tlsConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	// By name, not 127.0.0.1: go-containerregistry refuses a realm on a
	// loopback or private IP address other than the registry's own.
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	realm := "https://localhost:" + port + "/token"
	reg := tlsRegistry(t, ca, fmt.Sprintf("token: {realm: %q, service: %s, issuer: %s, rootcertbundle: %s}", realm, ts.service, ts.issuer, ca.certFile))
	return ts, realm, reg
}

// slowProxy is a TLS reverse proxy in front of a registry: a slow network. It
// sends request bodies on at rate bytes a second, holds the first blob upload
// (PATCH) for hold before passing it on, and logs each request with the
// registry's answer.
type slowProxy struct {
	rate int
	hold time.Duration

	mu   sync.Mutex
	held bool
	log  []string // "METHOD path STATUS"
}

func startSlowProxy(t *testing.T, ca testCA, registry string, sp *slowProxy) string {
	t.Helper()
	target, _ := url.Parse("https://" + registry)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}
	rp.ModifyResponse = func(resp *http.Response) error {
		sp.mu.Lock()
		sp.log = append(sp.log, fmt.Sprintf("%s %s %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode))
		sp.mu.Unlock()
		return nil
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sp.mu.Lock()
		rate, hold := sp.rate, time.Duration(0)
		if r.Method == http.MethodPatch && !sp.held {
			hold, sp.held = sp.hold, sp.hold > 0
		}
		sp.mu.Unlock()
		time.Sleep(hold)
		if r.Body != nil && rate > 0 {
			r.Body = &slowBody{ReadCloser: r.Body, rate: rate}
		}
		rp.ServeHTTP(w, r)
	}))
	srv.TLS = ca.tlsConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// slow sets the proxy's rate and hold for the requests to come.
func (sp *slowProxy) slow(rate int, hold time.Duration) {
	sp.mu.Lock()
	sp.rate, sp.hold, sp.held = rate, hold, false
	sp.mu.Unlock()
}

func (sp *slowProxy) requests() []string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return append([]string(nil), sp.log...)
}

// slowBody reads at most rate bytes a second.
type slowBody struct {
	io.ReadCloser
	rate int
}

func (b *slowBody) Read(p []byte) (int, error) {
	if chunk := b.rate / 20; len(p) > chunk {
		p = p[:chunk]
	}
	n, err := b.ReadCloser.Read(p)
	time.Sleep(time.Duration(n) * time.Second / time.Duration(b.rate))
	return n, err
}

// randomBase writes an OCI layout holding a linux/amd64 image of n layers of
// size random (incompressible) bytes each, and returns its directory.
func randomBase(t *testing.T, n int, size int64) string {
	t.Helper()
	img, err := random.Image(size, int64(n))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "base")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tokenClaims decodes a JWT's claims (no verification: the test made it).
func tokenClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRegistryTokenAuth pushes to a registry that takes Bearer tokens from a
// token server, with credentials from a Docker config and the CA from
// --registry-ca; then a push slow enough that its token expires midway (the
// registry refuses it, also on a blob upload with a body) and must be
// renewed; then bad credentials, which fail in one line. No password, token
// or Authorization header shows in any output.
func TestRegistryTokenAuth(t *testing.T) {
	needE2E(t)
	const user, pass = "pusher", "t0ken-pass-9d1e7"
	ca := newTestCA(t)
	ts, realm, reg := tokenRegistry(t, ca, user, pass)
	sp := &slowProxy{}
	host := startSlowProxy(t, ca, reg, sp)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	cfg := dockerConfig(t, fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, basic))
	env = append(env, "DOCKER_CONFIG="+cfg)
	crane := []string{"DOCKER_CONFIG=" + cfg, "SSL_CERT_FILE=" + ca.certFile}
	secrets := func(extra ...string) []string {
		return append(append([]string{pass, basic, "Authorization"}, extra...), ts.tokens()...)
	}
	summary := filepath.Join(t.TempDir(), "summary.json")

	// A push: the token grants pull and push on the repository.
	r := lb(t, dir, env, "build", "--from", "builtin:static", "-o", host+"/token/hello:1", "--registry-ca", ca.certFile,
		"--json", "--summary-file", summary)
	if r.code != 0 {
		t.Fatalf("push with a token: exit %d\n%s", r.code, r.stderr)
	}
	checkNoLeak(t, secrets(), r, summary)
	toks := ts.tokens()
	if len(toks) == 0 {
		t.Fatal("the token server issued no token")
	}
	if c := tokenClaims(t, toks[len(toks)-1]); !strings.Contains(fmt.Sprint(c["access"]), "token/hello") ||
		!strings.Contains(fmt.Sprint(c["access"]), "push") {
		t.Errorf("token grants %v, want push on token/hello", c["access"])
	}
	var sum struct{ Digest string }
	json.Unmarshal([]byte(r.stdout), &sum)
	if out := toolEnv(t, crane, "crane", "validate", "--remote", host+"/token/hello@"+sum.Digest); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}

	// A long push: tokens good for 3 s (2 to 3: exp is in whole seconds),
	// six 1 MiB base layers sent at 2 MiB/s each, and the first blob upload
	// held 4 s on the way, so it reaches the registry with an expired token.
	ts.setLife(3 * time.Second)
	sp.slow(2<<20, 4*time.Second)
	before := len(ts.tokens())
	base := randomBase(t, 6, 1<<20)
	r = lb(t, dir, env, "build", "--from", "oci:"+base, "-o", host+"/token/long:1", "--registry-ca", ca.certFile,
		"--json", "--summary-file", summary)
	reqs := sp.requests()
	t.Logf("long push: exit %d in %s, %d tokens issued", r.code, r.elapsed.Round(time.Millisecond), len(ts.tokens())-before)
	refusedPatch := ""
	for _, q := range reqs {
		if strings.HasPrefix(q, "PATCH ") && strings.HasSuffix(q, " 401") {
			refusedPatch = strings.TrimSuffix(q, " 401")
		}
		if strings.HasSuffix(q, " 401") {
			t.Logf("refused: %s", q)
		}
	}
	if r.code != 0 {
		t.Fatalf("a push whose token expired midway: exit %d\n%s", r.code, r.stderr)
	}
	checkNoLeak(t, secrets(), r, summary)
	if n := len(ts.tokens()) - before; n < 2 {
		t.Errorf("the long push got %d tokens, want a renewal", n)
	}
	if refusedPatch == "" {
		t.Errorf("no blob upload met an expired token; requests:\n%s", strings.Join(reqs, "\n"))
	} else if !slices.Contains(reqs, refusedPatch+" 202") {
		t.Errorf("%s was refused and not sent again; requests:\n%s", refusedPatch, strings.Join(reqs, "\n"))
	}
	json.Unmarshal([]byte(r.stdout), &sum)
	if out := toolEnv(t, crane, "crane", "validate", "--remote", host+"/token/long@"+sum.Digest); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
	ts.setLife(time.Minute)
	sp.slow(0, 0)

	// Bad credentials: one line naming the registry, the token server and
	// what langbuild tried.
	bad := base64.StdEncoding.EncodeToString([]byte(user + ":wrong-" + pass))
	badCfg := dockerConfig(t, fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, bad))
	refused := ts.refusals()
	r = lb(t, dir, append(env, "DOCKER_CONFIG="+badCfg), "build", "--from", "builtin:static", "-o", host+"/token/bad:1",
		"--registry-ca", ca.certFile, "--json", "--summary-file", summary)
	t.Logf("bad credentials say: %s", r.stderr)
	if ts.refusals() == refused {
		t.Errorf("the token server refused nothing")
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	if r.code == 0 || !strings.Contains(last, host) || !strings.Contains(last, realm) ||
		!strings.Contains(last, "credentials from the Docker config") {
		t.Errorf("bad credentials: exit %d, last line %q\n%s", r.code, last, r.stderr)
	}
	checkNoLeak(t, secrets("wrong-"+pass, bad), r)
}
