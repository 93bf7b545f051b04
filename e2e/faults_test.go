package e2e

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultProxy sits between langbuild and the registry and misbehaves as told.
type faultProxy struct {
	mu    sync.Mutex
	fault func(r *http.Request, n int) string // "" (pass), "503", "reset", "hang", "down"
	count map[string]int
}

func startFaultProxy(t *testing.T, fault func(r *http.Request, n int) string) string {
	t.Helper()
	target, _ := url.Parse("http://" + direct)
	rp := httputil.NewSingleHostReverseProxy(target)
	fp := &faultProxy{fault: fault, count: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := r.Method + " " + kindOf(r.URL.Path)
		fp.mu.Lock()
		fp.count[kind]++
		n := fp.count[kind]
		fp.mu.Unlock()
		switch fp.fault(r, n) {
		case "503":
			http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}`, http.StatusServiceUnavailable)
			return
		case "reset":
			// Read part of the upload, then drop the connection.
			buf := make([]byte, 4096)
			r.Body.Read(buf)
			if hj, ok := w.(http.Hijacker); ok {
				c, _, _ := hj.Hijack()
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
				c.Close()
			}
			return
		case "hang":
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		case "down":
			if hj, ok := w.(http.Hijacker); ok {
				c, _, _ := hj.Hijack()
				c.Close()
			}
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func kindOf(p string) string {
	switch {
	case strings.Contains(p, "/blobs/uploads/"):
		return "upload"
	case strings.Contains(p, "/blobs/"):
		return "blob"
	case strings.Contains(p, "/manifests/"):
		return "manifest"
	}
	return "other"
}

// TestRegistryFaults injects faults between langbuild and the registry: each
// case ends in an image that validates, or in a clear error within bounded
// time — and never in a tag on an image whose blobs are missing.
func TestRegistryFaults(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	// Warm the build so the cases time the push.
	mustBuild(t, dir, env, "build", "--from", "builtin:static", "-o", "oci:"+t.TempDir()+"/warm", "-q")
	for _, tc := range []struct {
		name    string
		fault   func(r *http.Request, n int) string
		args    []string
		succeed bool
		want    string
		within  time.Duration
	}{
		{"503 on the first upload", func(r *http.Request, n int) string {
			if kindOf(r.URL.Path) == "upload" && r.Method != http.MethodPost && n == 1 {
				return "503"
			}
			return ""
		}, nil, true, "", time.Minute},
		{"connection reset mid-upload", func(r *http.Request, n int) string {
			if kindOf(r.URL.Path) == "upload" && r.Method == http.MethodPatch && n == 1 {
				return "reset"
			}
			return ""
		}, nil, true, "", time.Minute},
		{"registry always 503", func(r *http.Request, n int) string {
			if kindOf(r.URL.Path) == "upload" {
				return "503"
			}
			return ""
		}, []string{"--retries", "1"}, false, "503", time.Minute},
		{"manifest PUT hangs", func(r *http.Request, n int) string {
			if kindOf(r.URL.Path) == "manifest" && r.Method == http.MethodPut {
				return "hang"
			}
			return ""
		}, []string{"--registry-timeout", "2s", "--retries", "1"}, false, "timeout", time.Minute},
		// The dropped connection shows as EOF, a reset or a write on a closed
		// connection, by timing (a retry sends the whole manifest again); the
		// hint line is the same.
		{"registry gone after the blobs", func(r *http.Request, n int) string {
			if kindOf(r.URL.Path) == "manifest" && r.Method == http.MethodPut {
				return "down"
			}
			return ""
		}, []string{"--retries", "1"}, false, "the connection to the registry failed", time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := startFaultProxy(t, tc.fault)
			repo := "faults/" + strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(tc.name, " ", "-"), "'", ""))
			ref := proxy + "/" + repo + ":x"
			args := append([]string{"build", "--from", "builtin:static", "-o", ref, "-q"}, tc.args...)
			r := lb(t, dir, env, args...)
			if r.elapsed > tc.within {
				t.Errorf("took %s", r.elapsed)
			}
			direct := direct + "/" + repo + ":x"
			if tc.succeed {
				if r.code != 0 {
					t.Fatalf("exit %d\n%s", r.code, r.stderr)
				}
				validateTag(t, direct)
				return
			}
			if r.code == 0 {
				t.Fatalf("exit 0 despite the fault")
			}
			if !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 4 {
				t.Errorf("stderr lacks %q or is long:\n%s", tc.want, r.stderr)
			}
			noBrokenTag(t, direct)
		})
	}
}

// noBrokenTag checks that ref, after a failed push, names no image or a
// complete one.
func noBrokenTag(t *testing.T, ref string) {
	t.Helper()
	if err := exec.Command("crane", "digest", ref).Run(); err == nil {
		if out := tool(t, "crane", "validate", "--remote", ref); !strings.Contains(out, "PASS") {
			t.Errorf("a tag names an incomplete image: %s", out)
		}
	}
}
