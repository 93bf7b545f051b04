package pipeline

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
	"github.com/langbuild/langbuild/publish"
)

// planAnalyzer returns its plan, or its error once release is closed (or at
// once when release is nil).
type planAnalyzer struct {
	fakeAnalyzer
	plan    *layering.Plan
	err     error
	release chan struct{}
}

func (p planAnalyzer) Analyze(ctx context.Context, _ string, _ lang.Options) (*layering.Plan, error) {
	if p.release != nil {
		select {
		case <-p.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	cp := *p.plan
	return &cp, nil
}

// fakePublisher records what the build asked of it.
type fakePublisher struct {
	mu         sync.Mutex
	calls      []string
	publishErr error
}

func (f *fakePublisher) call(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakePublisher) Prepare(ctx context.Context, base v1.Image) error {
	f.call("prepare")
	return nil
}

func (f *fakePublisher) Publish(ctx context.Context, img v1.Image) (publish.Result, error) {
	f.call("publish")
	if f.publishErr != nil {
		return publish.Result{}, f.publishErr
	}
	d, err := img.Digest()
	if err != nil {
		return publish.Result{}, err
	}
	return publish.Result{References: []string{"fake@" + d.String()}, Digest: d.String()}, nil
}

func (f *fakePublisher) Close() error { return nil }

func helloPlan() *layering.Plan {
	return &layering.Plan{
		Layers: []layering.Layer{{Name: "app", Entries: []layering.Entry{
			{Path: "/app/hello", Type: layering.TypeFile, Data: []byte("#!/bin/sh\necho hi\n"), Mode: 0o755},
		}}},
		Config: layering.Config{Entrypoint: []string{"/app/hello"}},
	}
}

func testOptions(t *testing.T, a lang.Analyzer, from string) Options {
	t.Helper()
	cache, err := layering.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Dir:       t.TempDir(),
		Analyzers: []lang.Analyzer{a},
		Base:      from,
		Defaults:  map[string]string{"go": "builtin:static"},
		Cache:     cache,
	}
	o.Registry.Retries = -1
	return o
}

// TestBuild: a plan on an offline base is built, prepared for and
// published, in that order, to the same digest twice; with --config
// overrides applied.
func TestBuild(t *testing.T) {
	a := planAnalyzer{fakeAnalyzer: fakeAnalyzer{name: "go"}, plan: helloPlan()}
	var digests []string
	for range 2 {
		pub := &fakePublisher{}
		opts := testOptions(t, a, "builtin:static")
		opts.Config = layering.Config{Env: []string{"A=1"}, Labels: map[string]string{"l": "v"}, User: "1000", Ports: []string{"8080"}}
		var events []string
		var mu sync.Mutex
		opts.Progress = func(e layering.Event) { mu.Lock(); events = append(events, e.Phase); mu.Unlock() }
		res, err := Build(context.Background(), opts, pub)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(pub.calls, ",") != "prepare,publish" {
			t.Errorf("publisher calls %v", pub.calls)
		}
		if res.Language != "go" || len(res.Blobs) != 1 || res.Base.Name != "builtin:static" || res.Publish.Digest != res.Digest {
			t.Errorf("result %+v", res)
		}
		if res.Timings.LayersBuilt != 1 || res.Timings.Analyze <= 0 || res.Timings.Layers <= 0 {
			t.Errorf("timings %+v", res.Timings)
		}
		cf, err := res.Image.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.User != "1000" || cf.Config.Labels["l"] != "v" || !contains(cf.Config.Env, "A=1") {
			t.Errorf("config %+v", cf.Config)
		}
		if len(events) == 0 {
			t.Error("no progress events")
		}
		digests = append(digests, res.Digest)
	}
	if digests[0] != digests[1] {
		t.Errorf("digests %v differ", digests)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// hungRegistry accepts connections and never answers.
func hungRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

// TestCompileErrorDoesNotWaitForTheBase: with a registry that accepts
// connections and never answers, the compiler's error is reported as soon
// as the compiler stops, not after the registry's timeout (an hour here:
// the test's own deadline is far shorter), and nothing is published.
func TestCompileErrorDoesNotWaitForTheBase(t *testing.T) {
	compileErr := &lang.BuildError{Tool: "go build", Output: "main.go:3:1: syntax error", Err: errors.New("exit status 1")}
	release := make(chan struct{})
	a := planAnalyzer{fakeAnalyzer: fakeAnalyzer{name: "go"}, err: compileErr, release: release}
	opts := testOptions(t, a, hungRegistry(t)+"/base:1")
	opts.Registry.ResponseTimeout = time.Hour
	pub := &fakePublisher{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Build(ctx, opts, pub)
		done <- err
	}()
	// The base's pull is under way (its connection waits) when the
	// compiler fails.
	time.Sleep(100 * time.Millisecond)
	close(release)
	err := <-done
	if ctx.Err() != nil {
		t.Fatal("the build waited for the registry")
	}
	var be *lang.BuildError
	if !errors.As(err, &be) {
		t.Fatalf("error %v, want the compile error", err)
	}
	if len(pub.calls) != 0 {
		t.Errorf("publisher called: %v", pub.calls)
	}
}

// TestCheckRefusesBase: a plan that needs the base's node entrypoint is
// refused on a base without one, before anything is prepared or published.
func TestCheckRefusesBase(t *testing.T) {
	p := helloPlan()
	p.Config.Entrypoint = nil
	p.BaseEntrypoint = "node"
	a := planAnalyzer{fakeAnalyzer: fakeAnalyzer{name: "node"}, plan: p}
	opts := testOptions(t, a, "builtin:static")
	opts.Defaults["node"] = "gcr.io/distroless/nodejs22-debian12"
	pub := &fakePublisher{}
	_, err := Build(context.Background(), opts, pub)
	if err == nil || !strings.Contains(err.Error(), "base builtin:static has no node entrypoint") {
		t.Fatalf("error %v", err)
	}
	if len(pub.calls) != 0 {
		t.Errorf("publisher called: %v", pub.calls)
	}
}

// TestLayerAndPublishErrors: a layer that cannot be read fails the build
// before publishing; a publisher's error is the build's.
func TestLayerAndPublishErrors(t *testing.T) {
	p := helloPlan()
	missing := filepath.Join(t.TempDir(), "gone")
	p.Layers[0].Entries = append(p.Layers[0].Entries, layering.Entry{Path: "/app/gone", Type: layering.TypeFile, Source: missing})
	a := planAnalyzer{fakeAnalyzer: fakeAnalyzer{name: "go"}, plan: p}
	pub := &fakePublisher{}
	_, err := Build(context.Background(), testOptions(t, a, "builtin:static"), pub)
	if err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("missing file: %v", err)
	}
	for _, c := range pub.calls {
		if c == "publish" {
			t.Error("published after a layer failed")
		}
	}

	a.plan = helloPlan()
	pubErr := errors.New("registry says no")
	_, err = Build(context.Background(), testOptions(t, a, "builtin:static"), &fakePublisher{publishErr: pubErr})
	if !errors.Is(err, pubErr) {
		t.Errorf("publish: %v", err)
	}
}

// TestPlan: Plan analyzes without compiling and applies the overrides.
func TestPlan(t *testing.T) {
	a := planAnalyzer{fakeAnalyzer: fakeAnalyzer{name: "go"}, plan: helloPlan()}
	opts := testOptions(t, a, "")
	opts.Config = layering.Config{Entrypoint: []string{"/bin/other"}, Cmd: []string{"x"}, WorkingDir: "/w"}
	name, p, err := Plan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if name != "go" || p.Config.Entrypoint[0] != "/bin/other" || p.Config.Cmd[0] != "x" || p.Config.WorkingDir != "/w" {
		t.Errorf("%s %+v", name, p.Config)
	}
	if _, err := os.Stat(filepath.Join(opts.Cache.Dir(), "work")); err != nil {
		t.Errorf("no work directory made in the cache: %v", err)
	}
}
