package e2e

import (
	"archive/tar"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryBase builds on a base pulled from the registry: the base's
// layers are mounted from its repository (never uploaded), the image names its
// base in annotations, and a rebuild with the base pinned by digest needs no
// registry for the base at all.
func TestRegistryBase(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	// Any image works as a base; a langbuild image of gomulti's worker is at hand.
	baseDigest := mustBuild(t, copyProject(t, "gomulti"), env, "build", "./cmd/worker", "--from", "builtin:static", "-o", registry+"/bases/worker:1")
	baseRef := registry + "/bases/worker@" + baseDigest

	counter.reset()
	ref := registry + "/onbase:1"
	digest := mustBuild(t, dir, env, "build", "--from", baseRef, "-o", ref)
	reqs := counter.snapshot()
	mounts := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, "POST /v2/onbase/blobs/uploads/") && strings.Contains(r, "mount=") && strings.Contains(r, "from=bases%2Fworker") {
			mounts++
		}
	}
	var baseManifest struct{ Layers []struct{ Digest string } }
	if err := json.Unmarshal([]byte(tool(t, "crane", "manifest", baseRef)), &baseManifest); err != nil {
		t.Fatal(err)
	}
	if mounts != len(baseManifest.Layers) {
		t.Errorf("%d mount requests for %d base layers; requests:\n%s", mounts, len(baseManifest.Layers), strings.Join(reqs, "\n"))
	}
	for _, up := range uploads(reqs) {
		for _, l := range baseManifest.Layers {
			if up == l.Digest {
				t.Errorf("base layer %s was uploaded, not mounted", up)
			}
		}
	}
	var m struct{ Annotations map[string]string }
	if err := json.Unmarshal([]byte(tool(t, "crane", "manifest", registry+"/onbase@"+digest)), &m); err != nil {
		t.Fatal(err)
	}
	if m.Annotations["org.opencontainers.image.base.digest"] != baseDigest || m.Annotations["org.opencontainers.image.base.name"] != baseRef {
		t.Errorf("annotations %v", m.Annotations)
	}
	if out := runImage(t, ref); !strings.Contains(out, "hello from gohello") {
		t.Errorf("image on a registry base printed %q", out)
	}

	// Pinned by digest and cached: writing a layout needs the base's layers,
	// which the first build did not download (they were mounted); this build
	// fetches them once. The build after it asks the registry nothing.
	mustBuild(t, dir, env, "build", "--from", baseRef, "-o", "oci:"+filepath.Join(t.TempDir(), "warm"))
	counter.reset()
	layout := filepath.Join(t.TempDir(), "layout")
	d2 := mustBuild(t, dir, env, "build", "--from", baseRef, "-o", "oci:"+layout)
	for _, r := range counter.snapshot() {
		t.Errorf("rebuild on a pinned, cached base asked the registry: %s", r)
	}
	if d2 != digest {
		t.Errorf("layout digest %s, registry digest %s", d2, digest)
	}
	if got := runLayout(t, layout, "latest"); !strings.Contains(got, "hello from gohello") {
		t.Errorf("layout image printed %q", got)
	}
}

// TestTarballOutput writes a docker-loadable tarball and checks it with crane
// and skopeo, and uses it as a base.
func TestTarballOutput(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	file := filepath.Join(t.TempDir(), "image.tar")
	mustBuild(t, dir, env, "build", "--from", "builtin:static", "-o", "tar:"+file, "--name", "example.com/gohello:v1")
	if out := tool(t, "crane", "validate", "--tarball", file); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate --tarball: %s", out)
	}
	var inspect struct{ Architecture string }
	if err := json.Unmarshal([]byte(tool(t, "skopeo", "inspect", "docker-archive:"+file)), &inspect); err != nil || inspect.Architecture != "amd64" {
		t.Errorf("skopeo inspect docker-archive: %+v %v", inspect, err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "example.com/gohello:v1") {
		t.Errorf("tarball manifest.json lacks the RepoTag example.com/gohello:v1")
	}
	// The tarball works as a base for another build.
	ref := registry + "/ontar:1"
	mustBuild(t, copyProject(t, "gomulti"), env, "build", "./cmd/worker", "--from", "tar:"+file, "-o", ref)
	if out := runImage(t, ref); !strings.Contains(out, "gomulti worker uid=65532") {
		t.Errorf("image on a tarball base printed %q", out)
	}
}

// TestPlatform builds for linux/arm64: the config and the binary are arm64.
func TestPlatform(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	layout := filepath.Join(t.TempDir(), "layout")
	mustBuild(t, dir, cacheEnv(t), "build", "--from", "builtin:static", "--platform", "linux/arm64", "-o", "oci:"+layout)
	var idx struct{ Manifests []struct{ Digest string } }
	readJSON(t, filepath.Join(layout, "index.json"), &idx)
	var m struct {
		Config struct{ Digest string }
		Layers []struct{ Digest string }
	}
	readJSON(t, blob(layout, idx.Manifests[0].Digest), &m)
	var cfg struct{ Architecture, OS string }
	readJSON(t, blob(layout, m.Config.Digest), &cfg)
	if cfg.Architecture != "arm64" || cfg.OS != "linux" {
		t.Errorf("config platform %s/%s", cfg.OS, cfg.Architecture)
	}
	bin := extract(t, blob(layout, m.Layers[len(m.Layers)-1].Digest), "app/gohello")
	f, err := elf.NewFile(strings.NewReader(string(bin)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("binary is for %s", f.Machine)
	}
}

func blob(layout, digest string) string {
	return filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// extract returns the content of name in a gzipped layer tar.
func extract(t *testing.T, layer, name string) []byte {
	t.Helper()
	f, err := os.Open(layer)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in layer: %v", name, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
