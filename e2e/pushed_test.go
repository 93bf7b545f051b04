package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryReplacedAtSameAddress: langbuild records the blobs it pushed to
// a repository and does not ask about them again. When the registry is
// replaced by an empty one at the same address, the record is wrong; the
// registry refuses the manifest, and the build still ends in a complete
// image that runs — after a code change and after no change at all.
func TestRegistryReplacedAtSameAddress(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	regDir := t.TempDir()
	addr := freeAddr(t)
	stop, err := serveRegistry(filepath.Join(regDir, "one"), addr)
	if err != nil {
		t.Fatal(err)
	}
	ref := addr + "/wiped:dev"
	args := []string{"build", "--from", "builtin:static", "-o", ref, "-q"}
	mustBuild(t, dir, env, args...)
	stop()

	for _, step := range []string{"change", "no change"} {
		// A new, empty registry at the same address.
		var err error
		stop, err = serveRegistry(filepath.Join(regDir, strings.ReplaceAll(step, " ", "-")), addr)
		if err != nil {
			t.Fatal(err)
		}
		if step == "change" {
			edit(t, filepath.Join(dir, "main.go"), `"hello from gohello"`, `"hello after the wipe"`)
		}
		d := mustBuild(t, dir, env, args...)
		if out := tool(t, "crane", "validate", "--remote", addr+"/wiped@"+d); !strings.Contains(out, "PASS") {
			t.Errorf("%s: crane validate: %s", step, out)
		}
		if out := runImage(t, ref); !strings.Contains(out, "hello after the wipe") {
			t.Errorf("%s: image printed %q", step, out)
		}
		stop()
	}
}
