package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// toxiproxy is a toxiproxy server (Shopify's TCP fault injector) on a free
// loopback port, driven through its HTTP API.
type toxiproxy struct {
	t   *testing.T
	api string // http://host:port
}

// toxiproxyBinary finds the server: $LANGBUILD_TOXIPROXY, or the `server`
// that `go install github.com/Shopify/toxiproxy/v2/cmd/server` puts in GOBIN.
func toxiproxyBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LANGBUILD_TOXIPROXY"); p != "" {
		return p
	}
	dir, err := exec.Command("go", "env", "GOBIN").Output()
	if err != nil {
		t.Fatalf("go env GOBIN: %v", err)
	}
	if strings.TrimSpace(string(dir)) == "" {
		gp, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			t.Fatalf("go env GOPATH: %v", err)
		}
		dir = []byte(filepath.Join(strings.TrimSpace(string(gp)), "bin"))
	}
	p := filepath.Join(strings.TrimSpace(string(dir)), "server")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("toxiproxy server not found at %s: run scripts/test.sh, which installs it (or set LANGBUILD_TOXIPROXY)", p)
	}
	return p
}

// freeAddr returns a loopback host:port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startToxiproxy(t *testing.T) *toxiproxy {
	t.Helper()
	host, port, _ := net.SplitHostPort(freeAddr(t))
	cmd := exec.Command(toxiproxyBinary(t), "-host", host, "-port", port, "-proxy-metrics")
	logf, err := os.Create(filepath.Join(t.TempDir(), "toxiproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	tp := &toxiproxy{t: t, api: "http://" + net.JoinHostPort(host, port)}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(tp.api + "/version"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return tp
			}
		}
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("toxiproxy did not answer on %s:\n%s", tp.api, b)
	return nil
}

// call sends one API request and decodes the JSON answer into out (if not nil).
func (tp *toxiproxy) call(method, path string, body, out any) {
	tp.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, tp.api+path, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tp.t.Fatalf("toxiproxy %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		tp.t.Fatalf("toxiproxy %s %s: %s: %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tp.t.Fatalf("toxiproxy %s %s: %v: %s", method, path, err, b)
		}
	}
}

// toxicProxy is one proxy of a toxiproxy server.
type toxicProxy struct {
	tp     *toxiproxy
	name   string
	listen string // host:port langbuild talks to
}

// proxy creates a proxy to upstream on a free loopback port.
func (tp *toxiproxy) proxy(name, upstream string) *toxicProxy {
	tp.t.Helper()
	var created struct{ Listen string }
	tp.call(http.MethodPost, "/proxies", map[string]any{"name": name, "listen": "127.0.0.1:0", "upstream": upstream, "enabled": true}, &created)
	tp.t.Cleanup(func() { tp.call(http.MethodDelete, "/proxies/"+name, nil, nil) })
	return &toxicProxy{tp: tp, name: name, listen: created.Listen}
}

// add puts a toxic on the proxy: typ is a toxiproxy toxic type, stream
// "upstream" (langbuild to registry) or "downstream". It returns the toxic's name.
func (p *toxicProxy) add(typ, stream string, attrs map[string]any) string {
	p.tp.t.Helper()
	name := typ + "_" + stream
	p.tp.call(http.MethodPost, "/proxies/"+p.name+"/toxics", map[string]any{
		"name": name, "type": typ, "stream": stream, "toxicity": 1.0, "attributes": attrs}, nil)
	return name
}

func (p *toxicProxy) remove(toxic string) {
	p.tp.t.Helper()
	p.tp.call(http.MethodDelete, "/proxies/"+p.name+"/toxics/"+toxic, nil, nil)
}

// waitUpload waits until the registry with its storage in data has received
// n bytes of a blob upload to repo, which is then under way, and fails the
// test after a minute. (The registry writes an upload to a file as it
// arrives; toxiproxy's own byte counts come only when a connection ends.)
func waitUpload(t *testing.T, data, repo string, n int64) {
	t.Helper()
	pattern := filepath.Join(data, "docker/registry/v2/repositories", repo, "_uploads/*/data")
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil && fi.Size() >= n {
				return
			}
		}
	}
	t.Fatalf("the registry did not receive %d bytes of an upload to %s within a minute", n, repo)
}

// bigProject is gohello with size bytes of incompressible kodata, so that
// one layer's upload lasts long enough for a fault to land in the middle.
func bigProject(t *testing.T, size int) string {
	t.Helper()
	dir := copyProject(t, "gohello")
	b := make([]byte, size)
	// A fixed xorshift stream: incompressible, and the same in every run.
	x := uint64(0x9e3779b97f4a7c15)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	if err := os.WriteFile(filepath.Join(dir, "kodata", "blob.bin"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// validateTag checks that ref (on the registry itself) names a complete image.
func validateTag(t *testing.T, ref string) {
	t.Helper()
	if out := tool(t, "crane", "validate", "--remote", ref); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate %s: %s", ref, out)
	}
}

// clearError checks that a failed build said what went wrong in a line or
// two that names the registry and holds want.
func clearError(t *testing.T, r result, registry, want string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("exit 0 despite the fault\n%s", r.stderr)
	}
	msg := strings.TrimSpace(r.stderr)
	if !strings.Contains(msg, want) || !strings.Contains(msg, registry) || !strings.Contains(msg, "then build again") ||
		strings.Count(msg, "\n") > 2 || strings.Contains(msg, "panic") || strings.Contains(msg, "_state=") {
		t.Errorf("stderr lacks %q, %q or a hint, or is long:\n%s", want, registry, r.stderr)
	}
}

// TestToxiproxy pushes through toxiproxy, which delays, throttles, cuts and
// stalls the TCP stream between langbuild and the registry: each case ends in
// an image that validates (and runs), or in a clear error within bounded time,
// and never in a tag on an incomplete image.
func TestToxiproxy(t *testing.T) {
	needE2E(t)
	tp := startToxiproxy(t)
	small := copyProject(t, "gohello")
	big := bigProject(t, 3<<20)
	env := cacheEnv(t)
	// Warm both builds so the cases time the push.
	for _, dir := range []string{small, big} {
		mustBuild(t, dir, env, "build", "--from", "builtin:static", "-o", "oci:"+t.TempDir()+"/warm", "-q")
	}
	build := func(dir, ref string, extra ...string) []string {
		return append([]string{"build", "--from", "builtin:static", "-o", ref, "-q"}, extra...)
	}
	// prepush puts gohello's blobs (base and binary layers) in repo, so that
	// the big project's push uploads one layer: its 3 MiB kodata.
	prepush := func(repo string) {
		mustBuild(t, small, env, build(small, direct+"/"+repo+":small")...)
	}
	posts := func(repo string) int { return count(counter.snapshot(), "POST /v2/"+repo+"/blobs/uploads/") }

	t.Run("latency", func(t *testing.T) {
		p := tp.proxy("latency", registry)
		p.add("latency", "upstream", map[string]any{"latency": 50})
		p.add("latency", "downstream", map[string]any{"latency": 50})
		r := lb(t, small, env, build(small, p.listen+"/tox/latency:x")...)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		t.Logf("pushed with 50 ms each way in %s", r.elapsed)
		validateTag(t, direct+"/tox/latency:x")
	})

	t.Run("bandwidth", func(t *testing.T) {
		p := tp.proxy("bandwidth", registry)
		p.add("bandwidth", "upstream", map[string]any{"rate": 600}) // KB/s, each connection
		prepush("tox/bandwidth")
		r := lb(t, big, env, build(big, p.listen+"/tox/bandwidth:x")...)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		t.Logf("pushed 3 MiB at 600 KB/s in %s", r.elapsed)
		if r.elapsed < 4*time.Second {
			t.Errorf("3 MiB at 600 KB/s took %s: the toxic did not bite", r.elapsed)
		}
		validateTag(t, direct+"/tox/bandwidth:x")
	})

	t.Run("cut mid-upload, retried", func(t *testing.T) {
		p := tp.proxy("cut", registry)
		prepush("tox/cut")
		counter.reset()
		const limit = 1 << 20
		toxic := p.add("limit_data", "upstream", map[string]any{"bytes": limit})
		wait := lbStart(t, big, env, build(big, p.listen+"/tox/cut:x")...)
		// Every connection is cut after 1 MiB: once half of that has
		// reached the registry, the rest passes in a moment and the cut
		// comes; the toxic is lifted before the retry, which comes after a
		// backoff of 300 ms. (The count of uploads below tells whether the
		// cut did happen.)
		waitUpload(t, storage, "tox/cut", limit/2)
		time.Sleep(100 * time.Millisecond)
		p.remove(toxic)
		r := wait()
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		// kodata and config: two uploads, and one more for the cut.
		if n := posts("tox/cut"); n < 3 {
			t.Errorf("%d uploads started, want 3 or more: the cut did not happen", n)
		}
		ref := direct + "/tox/cut:x"
		validateTag(t, ref)
		if out := runImage(t, ref); !strings.Contains(out, "asset: greetings from kodata") {
			t.Errorf("the image pushed through a cut printed:\n%s", out)
		}
	})

	t.Run("cut mid-upload, no retries", func(t *testing.T) {
		p := tp.proxy("cutnoretry", registry)
		prepush("tox/cutnoretry")
		p.add("limit_data", "upstream", map[string]any{"bytes": 1 << 20})
		r := lb(t, big, env, build(big, p.listen+"/tox/cutnoretry:x", "--retries", "0")...)
		t.Logf("says: %s", r.stderr)
		clearError(t, r, p.listen, "pushing")
		if r.elapsed > 30*time.Second {
			t.Errorf("took %s to fail", r.elapsed)
		}
		noBrokenTag(t, direct+"/tox/cutnoretry:x")
	})

	// The registry stops answering in the middle of the upload: the
	// timeout toxic swallows all that langbuild sends from then on. The
	// upload is tried again once (--retries 1): the build fails after two
	// 2 s timeouts, not one. (Nothing reaches the registry after the toxic,
	// so the time is the evidence of the second try.)
	t.Run("hang mid-upload", func(t *testing.T) {
		p := tp.proxy("hang", registry)
		prepush("tox/hang")
		p.add("bandwidth", "upstream", map[string]any{"rate": 1000})
		wait := lbStart(t, big, env, build(big, p.listen+"/tox/hang:x", "--registry-timeout", "2s", "--retries", "1")...)
		waitUpload(t, storage, "tox/hang", 512<<10)
		p.add("timeout", "upstream", map[string]any{"timeout": 0})
		r := wait()
		t.Logf("says after %s: %s", r.elapsed, r.stderr)
		clearError(t, r, p.listen, "timeout")
		if r.elapsed > 30*time.Second {
			t.Errorf("took %s to fail with --registry-timeout 2s --retries 1", r.elapsed)
		}
		if r.elapsed < 4*time.Second {
			t.Errorf("failed after %s: the upload was not tried again after the first 2 s timeout", r.elapsed)
		}
		noBrokenTag(t, direct+"/tox/hang:x")
	})
}

// TestRegistryStopped freezes (SIGSTOP) and restarts a registry of its own in
// the middle of a push, behind a toxiproxy that slows the upload so the harm
// lands while a layer is on its way: the build ends in a clear error in
// bounded time, or in an image that validates and runs; a tag never names an
// incomplete image.
func TestRegistryStopped(t *testing.T) {
	needE2E(t)
	tp := startToxiproxy(t)
	// 24 MiB: more than the socket buffers on the way hold, so a frozen
	// registry stops langbuild's writes.
	big := bigProject(t, 24<<20)
	env := cacheEnv(t)
	mustBuild(t, big, env, "build", "--from", "builtin:static", "-o", "oci:"+t.TempDir()+"/warm", "-q")
	serve := func(dir, addr string) func() {
		stop, err := serveRegistry(dir, addr)
		if err != nil {
			t.Fatal(err)
		}
		return stop
	}

	t.Run("frozen mid-upload", func(t *testing.T) {
		dir, addr := t.TempDir(), freeAddr(t)
		stop := serve(dir, addr)
		defer stop()
		p := tp.proxy("frozen", addr)
		p.add("bandwidth", "upstream", map[string]any{"rate": 4000})
		wait := lbStart(t, big, env, "build", "--from", "builtin:static", "-o", p.listen+"/stop/frozen:x", "-q",
			"--registry-timeout", "2s", "--retries", "1")
		waitUpload(t, filepath.Join(dir, "data"), "stop/frozen", 2<<20)
		pid := registryPids[addr]
		syscall.Kill(pid, syscall.SIGSTOP)
		r := wait()
		syscall.Kill(pid, syscall.SIGCONT)
		t.Logf("says after %s: %s", r.elapsed, r.stderr)
		clearError(t, r, p.listen, "timeout")
		if r.elapsed > 30*time.Second {
			t.Errorf("took %s to fail with --registry-timeout 2s --retries 1", r.elapsed)
		}
		noBrokenTag(t, addr+"/stop/frozen:x")
	})

	t.Run("restarted mid-upload", func(t *testing.T) {
		dir, addr := t.TempDir(), freeAddr(t)
		stop := serve(dir, addr)
		p := tp.proxy("restarted", addr)
		p.add("bandwidth", "upstream", map[string]any{"rate": 4000})
		wait := lbStart(t, big, env, "build", "--from", "builtin:static", "-o", p.listen+"/stop/restarted:x", "-q",
			"--retries", "4")
		waitUpload(t, filepath.Join(dir, "data"), "stop/restarted", 2<<20)
		stop()
		time.Sleep(500 * time.Millisecond)
		stop = serve(dir, addr)
		defer stop()
		r := wait()
		t.Logf("exit %d after %s: %s", r.code, r.elapsed, r.stderr)
		ref := addr + "/stop/restarted:x"
		if r.code != 0 {
			clearError(t, r, p.listen, "pushing")
			noBrokenTag(t, ref)
			return
		}
		validateTag(t, ref)
		if out := runImage(t, ref); !strings.Contains(out, "hello from gohello") {
			t.Errorf("the image pushed across a registry restart printed:\n%s", out)
		}
	})
}
