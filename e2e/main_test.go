// Package e2e builds the projects in testprojects/ with the real langbuild
// binary, pushes them to a real registry (Debian's docker-registry, the CNCF
// distribution server) through a request-counting proxy, validates them with
// crane, skopeo and oci-image-tool, and runs them with runc.
//
// The tools are installed by scripts/test.sh. With -short the package is skipped.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	langbuild string // the binary under test
	registry  string // host:port of the counting proxy in front of the registry
	direct    string // host:port of the registry itself
	counter   = &requestCounter{}
	repoRoot  string
	goCache   string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped with -short")
		return m.Run()
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(file))
	tmp, err := os.MkdirTemp("", "langbuild-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)

	for _, tool := range []string{"docker-registry", "skopeo", "umoci", "runc", "oci-image-tool", "crane", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s is not installed: run scripts/test.sh, which installs the test tools (or use -short)\n", tool)
			return 1
		}
	}

	gc, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "go env GOCACHE:", err)
		return 1
	}
	goCache = strings.TrimSpace(string(gc))

	langbuild = filepath.Join(tmp, "langbuild")
	build := exec.Command("go", "build", "-o", langbuild, "./cmd/langbuild")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building langbuild: %v\n%s", err, out)
		return 1
	}

	var stop func()
	direct, stop, err = startRegistry(filepath.Join(tmp, "registry"), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting registry:", err)
		return 1
	}
	defer stop()

	target, _ := url.Parse("http://" + direct)
	proxy := httputil.NewSingleHostReverseProxy(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: counter.wrap(proxy)}
	go srv.Serve(ln)
	defer srv.Close()
	registry = ln.Addr().String()
	code := m.Run()
	if debianCache != "" {
		os.RemoveAll(debianCache)
	}
	return code
}

// needE2E skips a test under -short, where no registry was started.
func needE2E(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: run without -short")
	}
}

// startRegistry starts docker-registry with its own config and storage in
// dir, on addr (a free port when empty), and returns its address.
func startRegistry(dir, direct string) (string, func(), error) {
	if direct == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		direct = ln.Addr().String()
		ln.Close()
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return "", nil, err
	}
	cfg := fmt.Sprintf(`version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: %s/data}
  delete: {enabled: true}
http:
  addr: %s
  secret: langbuild-e2e
`, dir, direct)
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		return "", nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command("docker-registry", "serve", cfgFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() }
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + direct + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return direct, stop, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	b, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
	return "", nil, fmt.Errorf("registry did not answer on %s:\n%s", direct, b)
}

// requestCounter records the requests the registry sees.
type requestCounter struct {
	mu   sync.Mutex
	reqs []string // "METHOD path?query"
}

func (c *requestCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.reqs = append(c.reqs, r.Method+" "+r.URL.RequestURI())
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (c *requestCounter) reset() {
	c.mu.Lock()
	c.reqs = nil
	c.mu.Unlock()
}

// snapshot returns the requests since the last reset.
func (c *requestCounter) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...)
}

var uploadDone = regexp.MustCompile(`^PUT /v2/.+/blobs/uploads/.*[?&]digest=(sha256(:|%3A)[0-9a-f]{64})`)

// uploads returns the digests of blobs whose upload completed (the final PUT
// of the monolithic or chunked upload protocol) in reqs.
func uploads(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		if m := uploadDone.FindStringSubmatch(r); m != nil {
			out = append(out, strings.Replace(m[1], "%3A", ":", 1))
		}
	}
	return out
}

func count(reqs []string, prefix string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

// result of one langbuild run.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// lb runs langbuild in dir with the given extra environment.
func lb(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, langbuild, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running langbuild %v: %v", args, err)
	}
	return r
}

// mustBuild runs langbuild and fails the test unless it succeeds; it returns
// the image digest from the printed reference.
func mustBuild(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	r := lb(t, dir, env, args...)
	if r.code != 0 {
		t.Fatalf("langbuild %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	ref := strings.TrimSpace(r.stdout)
	i := strings.LastIndex(ref, "@sha256:")
	if i < 0 || strings.Contains(ref, "\n") {
		t.Fatalf("langbuild %v printed %q, want one reference pinned by digest", args, r.stdout)
	}
	return ref[i+1:]
}

// copyProject copies testprojects/NAME to a new temp directory.
func copyProject(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	src := filepath.Join(repoRoot, "testprojects", name)
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			if lfi, lerr := os.Lstat(p); lerr == nil {
				fi = lfi
			}
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		// Only sources: what a developer's own builds left here
		// (node_modules, target) is made again by each test.
		if fi.IsDir() && (fi.Name() == "node_modules" || fi.Name() == "target") {
			return filepath.SkipDir
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, target)
		}
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// tool runs an external command and returns its stdout, failing the test on error.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// runImage pulls ref from the registry with skopeo, unpacks it with umoci and
// runs it with runc, returning what the program printed.
func runImage(t *testing.T, ref string) string {
	t.Helper()
	dir := t.TempDir()
	layoutDir := filepath.Join(dir, "layout")
	tool(t, "skopeo", "copy", "--src-tls-verify=false", "docker://"+ref, "oci:"+layoutDir+":run")
	return runLayout(t, layoutDir, "run")
}

// runLayout unpacks DIR:TAG with umoci and runs it with runc.
func runLayout(t *testing.T, layoutDir, tag string) string {
	t.Helper()
	bundle := filepath.Join(t.TempDir(), "bundle")
	tool(t, "umoci", "unpack", "--image", layoutDir+":"+tag, bundle)
	cfgPath := filepath.Join(bundle, "config.json")
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	spec["process"].(map[string]any)["terminal"] = false
	b, _ = json.Marshal(spec)
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("lbe2e-%d", time.Now().UnixNano())
	return tool(t, "runc", "run", "--bundle", bundle, id)
}
