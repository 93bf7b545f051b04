package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNodeLeavesOutItsOwnOutputs: images langbuild wrote into the project
// (the skaffold route's .langbuild/oci, a layout elsewhere, a tar: output)
// and .env files stay out of the next image, which is the very image built
// without them. Before, .langbuild/oci went into the app layer: 134 MB in a
// real project, and a new digest on every build.
func TestNodeLeavesOutItsOwnOutputs(t *testing.T) {
	needE2E(t)
	env := sharedDebianEnv(t)
	dir := copyProject(t, "nodeexpress")
	npm(t, dir, "ci")
	// An example of the variables to set is not a secret: it goes in.
	if err := os.WriteFile(filepath.Join(dir, ".env.example"), []byte("API_KEY=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clean := mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", "oci:"+filepath.Join(t.TempDir(), "clean"), "-q")

	// The outputs of a first build, written into the project.
	for _, out := range []string{"oci:.langbuild/oci", "oci:deploy/image", "tar:app-image.tar"} {
		if d := mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", out, "-q"); d != clean {
			t.Fatalf("-o %s: %s, want %s", out, d, clean)
		}
	}
	for _, f := range []string{".langbuild/oci/oci-layout", "deploy/image/index.json", "app-image.tar"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("the first builds wrote no %s: %v", f, err)
		}
	}
	for name, content := range map[string]string{".env": "API_KEY=secret\n", "lib/.env.production": "API_KEY=secret\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ref := registry + "/nodeignore:e2e"
	if d := mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", ref, "-q"); d != clean {
		t.Errorf("with the outputs and .env files in the project: %s, want %s (as without them)", d, clean)
	}
	files := imageFiles(t, ref)
	for _, f := range files {
		if strings.HasPrefix(f, "app/.langbuild") || strings.HasPrefix(f, "app/deploy") || f == "app/app-image.tar" ||
			f == "app/.env" || f == "app/lib/.env.production" {
			t.Errorf("the image holds %s", f)
		}
	}
	if !slices.Contains(files, "app/.env.example") || !slices.Contains(files, "app/server.js") {
		t.Errorf("the image lacks .env.example or server.js")
	}

	// Again into .langbuild/oci, as skaffold's loop does: the same image.
	if d := mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", "oci:.langbuild/oci", "-q"); d != clean {
		t.Errorf("built again into .langbuild/oci: %s, want %s", d, clean)
	}
}
