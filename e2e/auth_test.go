package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// testCA is a self-signed certificate for 127.0.0.1 and localhost that
// is its own CA: registries, proxies and token servers in these tests serve
// it, and sign tokens with its key.
type testCA struct {
	certFile, keyFile string
	der               []byte
	key               *ecdsa.PrivateKey
	pool              *x509.CertPool
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := testCA{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem"), der: der, key: key, pool: x509.NewCertPool()}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kb, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(ca.certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca.keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	ca.pool.AppendCertsFromPEM(certPEM)
	return ca
}

// tlsConfig serves the certificate.
func (ca testCA) tlsConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{ca.der}, PrivateKey: ca.key}}}
}

// authRegistry starts docker-registry with TLS (a self-signed certificate
// for 127.0.0.1) and htpasswd basic auth for user:pass. It returns its
// host:port and the certificate's file.
func authRegistry(t *testing.T, user, pass string) (string, string) {
	t.Helper()
	ca := newTestCA(t)
	dir := t.TempDir()
	hash, _ := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(user+":"+string(hash)+"\n"), 0o644)
	return tlsRegistry(t, ca, fmt.Sprintf("htpasswd: {realm: langbuild-test, path: %s/htpasswd}", dir)), ca.certFile
}

// tlsRegistry starts docker-registry on a free port with TLS (ca's
// certificate) and the given auth section, and returns its host:port once
// it asks for credentials.
func tlsRegistry(t *testing.T, ca testCA, auth string) string {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: %s/data}}
http:
  addr: %s
  secret: auth-test
  tls: {certificate: %s, key: %s}
auth:
  %s
`, dir, addr, ca.certFile, ca.keyFile, auth)
	os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644)
	cmd := exec.Command("docker-registry", "serve", filepath.Join(dir, "config.yml"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}}
	for i := 0; i < 250; i++ {
		if resp, err := client.Get("https://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return addr
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("the TLS registry on %s did not answer:\n%s", addr, logs.String())
	return ""
}

// TestRegistryAuth pushes to a registry with TLS (a self-signed CA given by
// SSL_CERT_FILE) and basic auth, with credentials from a Docker config's
// auths and from a credential helper; bad credentials and an untrusted
// certificate fail with one clear line; no credential ever appears in the
// output.
func TestRegistryAuth(t *testing.T) {
	needE2E(t)
	const user, pass = "builder", "s3cret-pass-0f4c2"
	reg, cert := authRegistry(t, user, pass)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	secrets := []string{pass, base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)), "Authorization"}
	noLeak := func(r result, files ...string) {
		t.Helper()
		checkNoLeak(t, secrets, r, files...)
	}
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	ref := reg + "/auth/gohello:1"

	// Credentials from config.json auths, the CA from SSL_CERT_FILE.
	cfg := dockerConfig(t, fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg, auth))
	summary := filepath.Join(t.TempDir(), "summary.json")
	r := lb(t, dir, append(env, "DOCKER_CONFIG="+cfg, "SSL_CERT_FILE="+cert), "build", "--from", "builtin:static", "-o", ref,
		"--json", "--summary-file", summary)
	if r.code != 0 {
		t.Fatalf("push with config.json credentials: exit %d\n%s", r.code, r.stderr)
	}
	noLeak(r, summary)

	// The CA given by --registry-ca instead (a new repository, so the
	// push does upload).
	r = lb(t, dir, append(env, "DOCKER_CONFIG="+cfg), "build", "--from", "builtin:static", "-o", reg+"/auth/caflag:1",
		"--registry-ca", cert, "--json")
	if r.code != 0 {
		t.Fatalf("push with --registry-ca: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `"pushed": true`) {
		t.Errorf("push with --registry-ca uploaded nothing:\n%s", r.stdout)
	}
	noLeak(r)
	// And for a base pulled from that registry.
	r = lb(t, dir, append(env, "DOCKER_CONFIG="+cfg), "build", "--from", ref, "-o", "oci:"+filepath.Join(t.TempDir(), "out"),
		"--registry-ca", cert)
	if r.code != 0 {
		t.Fatalf("base pulled with --registry-ca: exit %d\n%s", r.code, r.stderr)
	}
	noLeak(r)

	// A credential helper.
	bin := t.TempDir()
	helper := fmt.Sprintf("#!/bin/sh\nread server\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"%s\",\"Secret\":\"%s\"}'\n", user, pass)
	os.WriteFile(filepath.Join(bin, "docker-credential-langbuildtest"), []byte(helper), 0o755)
	cfg = dockerConfig(t, fmt.Sprintf(`{"credHelpers": {%q: "langbuildtest"}}`, reg))
	r = lb(t, dir, append(env, "DOCKER_CONFIG="+cfg, "SSL_CERT_FILE="+cert, "PATH="+bin+":"+os.Getenv("PATH")),
		"build", "--from", "builtin:static", "-o", reg+"/auth/helper:1")
	if r.code != 0 {
		t.Fatalf("push with a credential helper: exit %d\n%s", r.code, r.stderr)
	}
	noLeak(r)

	// Wrong password: one clear line naming the registry.
	bad := base64.StdEncoding.EncodeToString([]byte(user + ":wrong-" + pass))
	cfg = dockerConfig(t, fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg, bad))
	r = lb(t, dir, append(env, "DOCKER_CONFIG="+cfg, "SSL_CERT_FILE="+cert), "build", "--from", "builtin:static", "-o", reg+"/auth/bad:1")
	t.Logf("bad credentials say: %s", r.stderr)
	if r.code == 0 || !strings.Contains(r.stderr, reg) || !strings.Contains(strings.ToLower(r.stderr), "unauthorized") || !strings.Contains(r.stderr, "refused the credentials") {
		t.Errorf("bad credentials: exit %d\n%s", r.code, r.stderr)
	}
	secrets = append(secrets, "wrong-"+pass, bad)
	noLeak(r)

	// No trust in the certificate: a clear TLS error, in seconds.
	cfg = dockerConfig(t, fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg, auth))
	r = lb(t, dir, append(env, "DOCKER_CONFIG="+cfg), "build", "--from", "builtin:static", "-o", reg+"/auth/untrusted:1")
	t.Logf("untrusted says: %s", r.stderr)
	if r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("untrusted certificate: exit %d\n%s", r.code, r.stderr)
	}
	if r.elapsed > 30*time.Second {
		t.Errorf("untrusted certificate took %s to fail", r.elapsed)
	}
	noLeak(r)
}

// checkNoLeak fails the test when a secret (a password, its base64, a token,
// the word Authorization) appears in langbuild's output or in the files it
// wrote.
func checkNoLeak(t *testing.T, secrets []string, r result, files ...string) {
	t.Helper()
	outputs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("reading %s: %v", f, err)
		}
		outputs[f] = string(b)
	}
	for where, out := range outputs {
		for _, s := range secrets {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("%s contains %q:\n%s", where, s, out)
			}
		}
	}
}

// dockerConfig writes a Docker config.json and returns its directory, for
// DOCKER_CONFIG.
func dockerConfig(t *testing.T, content string) string {
	t.Helper()
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, "config.json"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}
