package java

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/langbuild/langbuild/lang"
)

// setMajor rewrites a class file's major version, as a newer javac would
// have written it.
func setMajor(t *testing.T, file string, major byte) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b[6], b[7] = 0, major
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestClassRelease(t *testing.T) {
	out := compile(t, t.TempDir(), map[string]string{"p/A.java": "package p; public class A {}"})
	var c classRelease
	c.readMajor(filepath.Join(out, "p/A.class"))
	if c.major != 61 || c.release() != 17 {
		t.Errorf("javac --release 17: major %d, release %d", c.major, c.release())
	}
	setMajor(t, filepath.Join(out, "p/A.class"), 69)
	c.readMajor(filepath.Join(out, "p/A.class"))
	if c.release() != 25 || !strings.HasSuffix(c.file, "A.class") {
		t.Errorf("class file 69: %+v", c)
	}
	// What is not a class file does not count, nor does an older class.
	os.WriteFile(filepath.Join(out, "p/B.class"), []byte("not a class, version 99"), 0o644)
	c.readMajor(filepath.Join(out, "p/B.class"))
	c.readMajor(filepath.Join(out, "p/missing.class"))
	c.see(52, "old")
	if c.major != 69 {
		t.Errorf("after non-classes: %+v", c)
	}
	for rel, want := range map[string]bool{"p/A.class": true, "A.class": true, "p/A$1.class": false, "p/A$B.class": false, "p/a.txt": false} {
		if topLevel(rel) != want {
			t.Errorf("topLevel(%q) = %v", rel, !want)
		}
	}
}

// TestAnalyzeRelease: the plan carries the higher of the pom's release and
// the newest class file's, and says where it was read.
func TestAnalyzeRelease(t *testing.T) {
	repo := newFakeRepo(t)
	opts := lang.Options{WorkDir: t.TempDir()}
	sources := map[string]string{
		"p/App.java":    "package p; public class App { public static void main(String[] a) { new Helper(); Runnable r = new Runnable() { public void run() {} }; } }",
		"p/Helper.java": "package p; class Helper {}",
	}
	for _, tc := range []struct {
		name, props string
		newer       string // class file given major 65 (Java 21)
		mainClass   string
		release     string
		from        string
	}{
		{"pom only", "<maven.compiler.release>17</maven.compiler.release>", "", "", "17", "the compiler release or target in pom.xml"},
		{"classes only", "", "", "", "17", "class file target/classes/p/"},
		{"pom above the classes", "<maven.compiler.release>25</maven.compiler.release>", "", "", "25", "pom.xml"},
		{"a newer class", "<maven.compiler.target>1.8</maven.compiler.target>", "p/Helper.class", "", "21", "class file target/classes/p/Helper.class, version 65"},
		{"a newer class, main class given", "", "p/Helper.class", "p.App", "21", "class file target/classes/p/Helper.class, version 65"},
		{"a newer main class", "", "p/App.class", "", "21", "class file target/classes/p/App.class, version 65"},
		// An inner class is compiled with its outer class: not read.
		{"inner class", "", "p/App$1.class", "", "17", "class file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "pom.xml"), []byte("<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><properties>"+tc.props+"</properties></project>"), 0o644)
			out := compile(t, dir, sources)
			if tc.newer != "" {
				setMajor(t, filepath.Join(out, tc.newer), 65)
			}
			a := &Analyzer{Options: Options{MavenRepo: repo.dir, MainClass: tc.mainClass}}
			plan, err := a.Analyze(context.Background(), dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			rt := plan.Runtime
			if strconv.Itoa(rt.Version) != tc.release || rt.Name != "java" || !strings.Contains(rt.From, tc.from) {
				t.Errorf("runtime %+v, want Java %s from %q", rt, tc.release, tc.from)
			}
		})
	}
}
