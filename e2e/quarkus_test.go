package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// quarkusVersion is the Quarkus whose Maven plugin generates the app: its
// io.quarkus BOM and plugin resolve from Maven Central alone. Quarkus 3
// needs Maven 3.9 (scripts/test.sh puts it first on PATH) and Java 17.
const quarkusVersion = "3.33.2"

// needMaven39 skips the test unless mvn is Maven 3.9 or later; with
// LANGBUILD_REQUIRE_MAVEN set (scripts/test.sh sets it) it fails instead.
func needMaven39(t *testing.T) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("LANGBUILD_REQUIRE_MAVEN") != "" {
		fail = t.Fatalf
	}
	out, err := exec.Command("mvn", "-v").CombinedOutput()
	if err != nil {
		fail("mvn -v: %v\n%s", err, out)
		return
	}
	m := regexp.MustCompile(`Apache Maven 3\.(\d+)\.`).FindSubmatch(out)
	if m != nil && len(m[1]) == 1 && m[1][0] < '9' {
		fail("Quarkus %s needs Maven 3.9 or later (scripts/test.sh installs it):\n%s", quarkusVersion, out)
	}
}

// layerInfo is one layer of an image: its digest and compressed size.
type layerInfo struct {
	digest string
	size   int64
}

// namedLayers maps the layers of the image tagged latest in an OCI layout
// to their history comments (the plan's layer names).
func namedLayers(t *testing.T, layout string) map[string]layerInfo {
	t.Helper()
	var m struct {
		Layers []struct {
			Digest string
			Size   int64
		}
	}
	if err := json.Unmarshal([]byte(tool(t, "skopeo", "inspect", "--raw", "oci:"+layout+":latest")), &m); err != nil {
		t.Fatal(err)
	}
	var cfg struct{ History []struct{ Comment string } }
	if err := json.Unmarshal([]byte(tool(t, "skopeo", "inspect", "--config", "oci:"+layout+":latest")), &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.History) < len(m.Layers) {
		t.Fatalf("%d layers, %d history entries", len(m.Layers), len(cfg.History))
	}
	out := map[string]layerInfo{}
	h := cfg.History[len(cfg.History)-len(m.Layers):]
	for i, l := range m.Layers {
		out[h[i].Comment] = layerInfo{l.Digest, l.Size}
	}
	return out
}

// TestJavaQuarkus generates Quarkus' getting-started app with Quarkus' own
// Maven plugin (offline: it falls back to the BOM's catalogue when the
// Quarkus registry cannot be reached), packages it with `mvn package`, and
// builds it with no flags beyond the base and the output: the fast-jar
// layout runs with `java -jar /app/quarkus-run.jar` as nonroot and answers
// HTTP. A change to the resource class asks for `mvn package` first, then
// moves only the small layers the augmentation rewrites, never the
// dependencies.
func TestJavaQuarkus(t *testing.T) {
	needE2E(t)
	needMaven39(t)
	root := t.TempDir()
	mvn(t, root, "io.quarkus:quarkus-maven-plugin:"+quarkusVersion+":create",
		"-DprojectGroupId=dev.langbuild", "-DprojectArtifactId=quarkusapp", "-Dextensions=rest", "-DnoCode=false")
	dir := filepath.Join(root, "quarkusapp")
	resource := filepath.Join(dir, "src", "main", "java", "dev", "langbuild", "GreetingResource.java")
	if _, err := os.Stat(resource); err != nil {
		t.Fatalf("the generated app lacks its resource: %v", err)
	}
	mvn(t, dir, "package", "-DskipTests")

	env := sharedDebianEnv(t)
	layout := filepath.Join(t.TempDir(), "layout")
	args := []string{"build", "--from", "debian:java17", "-o", "oci:" + layout, "-q"}
	start := time.Now()
	d1 := mustBuild(t, dir, env, args...)
	t.Logf("first build: %s", time.Since(start).Round(time.Millisecond))
	cfg := imageConfig(t, layout)
	if got := strings.Join(cfg.Config.Entrypoint, " "); got != "java -jar /app/quarkus-run.jar" || cfg.Config.User != "65532" {
		t.Errorf("entrypoint %q, user %q", got, cfg.Config.User)
	}
	get := func(want string) {
		t.Helper()
		port := freePort(t)
		serveImage(t, layout, "latest", fmt.Sprintf("QUARKUS_HTTP_PORT=%d", port))
		if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/hello", port), 90*time.Second); got != want {
			t.Errorf("GET /hello = %q, want %q", got, want)
		}
	}
	get("Hello from Quarkus REST")
	first := namedLayers(t, layout)
	for _, name := range []string{"dependencies", "quarkus generated", "application"} {
		if _, ok := first[name]; !ok {
			t.Fatalf("no %s layer in %v", name, first)
		}
	}

	// No change: the same image.
	r := lb(t, dir, env, args...)
	if r.code != 0 || !strings.Contains(r.stdout, d1) {
		t.Errorf("no-op rebuild: exit %d, printed %q, want %s\n%s", r.code, r.stdout, d1, r.stderr)
	}
	t.Logf("no-op build: %s", r.elapsed.Round(time.Millisecond))

	// A class edited but not packaged: langbuild does not run the
	// augmentation, so it refuses the stale output.
	edit(t, resource, `"Hello from Quarkus REST"`, `"Hello again from Quarkus REST"`)
	r = lb(t, dir, env, args...)
	if r.code == 0 || !strings.Contains(r.stderr, "GreetingResource.java") || !strings.Contains(r.stderr, "mvn package") {
		t.Errorf("stale output: exit %d, stderr:\n%s", r.code, r.stderr)
	}

	mvn(t, dir, "package", "-DskipTests")
	mustBuild(t, dir, env, args...)
	second := namedLayers(t, layout)
	for name, l := range second {
		switch {
		case l == first[name]:
		case name == "quarkus generated" || name == "application":
			if l.size > 1<<20 {
				t.Errorf("layer %s moved with %d bytes, want a small layer", name, l.size)
			}
			t.Logf("one class changed: layer %s moved (%d bytes)", name, l.size)
		default:
			t.Errorf("one class changed: layer %s moved (%s -> %s)", name, first[name].digest, l.digest)
		}
	}
	if second["application"] == first["application"] {
		t.Errorf("the application layer did not move")
	}
	get("Hello again from Quarkus REST")
}
