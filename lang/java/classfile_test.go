package java

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/langbuild/langbuild/lang"
)

// compile compiles Java sources (name -> code) into dir/target/classes.
func compile(t *testing.T, dir string, sources map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("javac"); err != nil {
		t.Skip("javac is not installed (scripts/test.sh installs it)")
	}
	src := filepath.Join(dir, "src")
	out := filepath.Join(dir, "target", "classes")
	var files []string
	for name, code := range sources {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(code), 0o644)
		files = append(files, p)
	}
	os.MkdirAll(out, 0o755)
	cmd := exec.Command("javac", append([]string{"--release", "17", "-d", out}, files...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, b)
	}
	return out
}

func TestReadClass(t *testing.T) {
	out := compile(t, t.TempDir(), map[string]string{
		"p/App.java":     "package p; public class App { public static void main(String[] a) { long x = 5L; double d = 1.5; System.out.println(\"hi\" + x + d); } }",
		"p/NotMain.java": "package p; class NotMain { static void main(String[] a) {} public void main() {} public static int main(int x) { return x; } }",
		"p/Iface.java":   "package p; public interface Iface { static void main(String[] a) {} }",
	})
	for _, tc := range []struct {
		file, name string
		main       bool
	}{
		{"p/App.class", "p.App", true},
		{"p/NotMain.class", "p.NotMain", false},
		{"p/Iface.class", "p.Iface", true},
	} {
		b, err := os.ReadFile(filepath.Join(out, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		ci, err := readClass(b)
		if err != nil || ci.name != tc.name || ci.hasMain != tc.main || ci.major != 61 {
			t.Errorf("%s: %+v %v", tc.file, ci, err)
		}
		if _, err := readClass(b[:len(b)/2]); err == nil {
			t.Errorf("%s truncated: no error", tc.file)
		}
	}
	if _, err := readClass([]byte("PK\x03\x04 not a class")); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Errorf("not a class: %v", err)
	}
	// A class file of a future version reads the same way.
	b, _ := os.ReadFile(filepath.Join(out, "p/App.class"))
	b[7] = 99
	if ci, err := readClass(b); err != nil || !ci.hasMain || ci.major != 99 {
		t.Errorf("class file version 99: %+v %v", ci, err)
	}
}

func TestAnalyzeMainClassAndErrors(t *testing.T) {
	repo := newFakeRepo(t)
	opts := lang.Options{WorkDir: t.TempDir()}
	a := &Analyzer{Options: Options{MavenRepo: repo.dir}}
	ctx := context.Background()
	project := func(pomBody string, sources map[string]string) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "pom.xml"), []byte("<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>"+pomBody+"</project>"), 0o644)
		if sources != nil {
			compile(t, dir, sources)
		}
		return dir
	}
	two := map[string]string{
		"p/A.java": "package p; public class A { public static void main(String[] a) {} }",
		"p/B.java": "package p; public class B { public static void main(String[] a) {} }",
	}
	// Several candidates: an error naming them.
	_, err := a.Analyze(ctx, project("", two), opts)
	if err == nil || !strings.Contains(err.Error(), "several classes have a main method (p.A, p.B)") {
		t.Errorf("two mains: %v", err)
	}
	// The exec plugin decides.
	plan, err := a.Analyze(ctx, project(`<build><plugins><plugin><groupId>org.codehaus.mojo</groupId><artifactId>exec-maven-plugin</artifactId>
	  <configuration><mainClass>${app.main}</mainClass></configuration></plugin></plugins></build><properties><app.main>p.B</app.main></properties>`, two), opts)
	if err != nil || plan.Config.Entrypoint[len(plan.Config.Entrypoint)-1] != "p.B" {
		t.Errorf("exec mainClass: %v %v", plan, err)
	}
	// The jar plugin's manifest, nested deeper than gopom keeps.
	plan, err = a.Analyze(ctx, project(`<build><plugins><plugin><artifactId>maven-jar-plugin</artifactId>
	  <configuration><archive><manifest><mainClass>p.A</mainClass></manifest></archive></configuration></plugin></plugins></build>`, two), opts)
	if err != nil || plan.Config.Entrypoint[len(plan.Config.Entrypoint)-1] != "p.A" {
		t.Errorf("jar manifest mainClass: %v %v", plan, err)
	}
	// The flag wins; Java 8 uses the wildcard classpath (the classes say
	// Java 8 too: the newer of the pom and the class files counts).
	b := *a
	b.MainClass = "p.B"
	java8 := project(`<properties><maven.compiler.target>1.8</maven.compiler.target></properties>`, two)
	setMajor(t, filepath.Join(java8, "target/classes/p/A.class"), 52)
	setMajor(t, filepath.Join(java8, "target/classes/p/B.class"), 52)
	plan, err = b.Analyze(ctx, java8, opts)
	if err != nil || strings.Join(plan.Config.Entrypoint, " ") != "java -cp /app/resources:/app/classes:/app/libs/* p.B" {
		t.Errorf("flag + java 8: %v %v", plan.Config.Entrypoint, err)
	}
	// No main at all.
	_, err = a.Analyze(ctx, project("", map[string]string{"p/L.java": "package p; class L {}"}), opts)
	if err == nil || !strings.Contains(err.Error(), "no class with a main method") {
		t.Errorf("no main: %v", err)
	}
	// Not compiled.
	_, err = a.Analyze(ctx, project("", nil), opts)
	if err == nil || !strings.Contains(err.Error(), "run `mvn compile`") {
		t.Errorf("no classes: %v", err)
	}
	// A corrupt class file names the file.
	dir := project("", map[string]string{"p/A.java": "package p; public class A { public static void main(String[] a) {} }"})
	os.WriteFile(filepath.Join(dir, "target/classes/p/A.class"), []byte{0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 61, 0, 9}, 0o644)
	_, err = a.Analyze(ctx, dir, opts)
	if err == nil || !strings.Contains(err.Error(), "A.class") || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("corrupt class: %v", err)
	}
}
