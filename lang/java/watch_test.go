package java

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/langbuild/langbuild/lang"
)

// TestWatch: in the project and in its modules, target/ and src/ are inputs
// only for what the image is built from.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"pom.xml", "mod/pom.xml"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte("<project/>"), 0o644)
	}
	a := &Analyzer{Options: Options{Jar: "target/special/app.jar"}}
	w, err := a.Watch(dir, lang.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Dirs) != 1 || w.Dirs[0] != dir {
		t.Fatalf("dirs %v", w.Dirs)
	}
	for _, c := range []struct {
		rel  string
		skip bool
	}{
		{"pom.xml", false},
		{"target", false},
		{"target/classes/A.class", false},
		{"target/maven-status/x", true},
		{"target/quarkus-app/lib/main/x.jar", false},
		{"target/quarkus-artifact.properties", false},
		{"target/app-runner.jar", false},
		{"target/special/app.jar", false},
		{"target/special/other.jar", true},
		{"target/surefire-reports/TEST-x.xml", true},
		{"src", false},
		{"src/main", false},
		{"src/main/java/A.java", true},
		{"src/test/java/ATest.java", true},
		{"src/main/langbuild/etc/app.conf", false},
		{"src/main/jib/etc/app.conf", false},
		{"mod/target/classes/B.class", false},
		{"mod/target/tmp/x", true},
		{"mod/src/main/java/B.java", true},
		{"docs/target/notes.md", false}, // no pom.xml in docs: not Maven's
		{"README.md", false},
	} {
		if got := w.Skip(dir, c.rel, false); got != c.skip {
			t.Errorf("skip %q = %v, want %v", c.rel, got, c.skip)
		}
	}
}
