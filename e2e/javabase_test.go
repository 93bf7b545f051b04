package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// javaBaseMain prints the Java that runs it, and who it runs as.
const javaBaseMain = `public class Main {
  public static void main(String[] args) {
    System.out.println("running on java " + System.getProperty("java.version") + " as " + System.getProperty("user.name"));
  }
}
`

// jdkFor returns a javac that compiles for release: the JDK on PATH, or one
// under /usr/lib/jvm (such as a Temurin 25), by the JAVA_VERSION its
// release file names. "" when there is none.
func jdkFor(release int) string {
	homes, _ := filepath.Glob("/usr/lib/jvm/*")
	if p, err := exec.LookPath("javac"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			homes = append([]string{filepath.Dir(filepath.Dir(r))}, homes...)
		}
	}
	for _, h := range homes {
		b, err := os.ReadFile(filepath.Join(h, "release"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			v, ok := strings.CutPrefix(l, "JAVA_VERSION=")
			if !ok {
				continue
			}
			major, _, _ := strings.Cut(strings.Trim(v, `"`), ".")
			if n, _ := strconv.Atoi(major); n >= release {
				if _, err := os.Stat(filepath.Join(h, "bin", "javac")); err == nil {
					return filepath.Join(h, "bin", "javac")
				}
			}
		}
	}
	return ""
}

// javaReleaseProject writes a Maven project whose pom has props and whose
// target/classes holds Main compiled for release. Without a JDK that
// compiles for release, Main is compiled for 17 and its class-file version
// set to release's: the JVM checks that version, which is what the base
// choice is about.
func javaReleaseProject(t *testing.T, props string, release int) string {
	t.Helper()
	dir := t.TempDir()
	pom := `<project><modelVersion>4.0.0</modelVersion><groupId>e2e</groupId><artifactId>release` + strconv.Itoa(release) +
		`</artifactId><version>1</version><properties>` + props + `</properties></project>`
	os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(pom), 0o644)
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	src := filepath.Join(dir, "src", "Main.java")
	os.WriteFile(src, []byte(javaBaseMain), 0o644)
	out := filepath.Join(dir, "target", "classes")
	javac, target := jdkFor(release), release
	if javac == "" {
		javac, target = jdkFor(17), 17
		t.Logf("no JDK compiles for Java %d here: compiling for 17 and marking the class file %d", release, release)
	}
	if javac == "" {
		t.Fatal("no javac (scripts/test.sh installs one)")
	}
	if b, err := exec.Command(javac, "--release", strconv.Itoa(target), "-nowarn", "-d", out, src).CombinedOutput(); err != nil {
		t.Fatalf("javac --release %d: %v\n%s", target, err, b)
	}
	if target != release {
		class := filepath.Join(out, "Main.class")
		b, _ := os.ReadFile(class)
		b[6], b[7] = 0, byte(44+release)
		os.WriteFile(class, b, 0o644)
	}
	return dir
}

// TestJavaBaseByRelease builds projects that target Java 8, 21 and 25 with
// --from debian:java: each lands on the lowest Debian Java preset that runs
// it (java11 from bullseye, java21 and java25 from trixie), says so, and
// runs. The release is read from the pom, or from the class files when the
// pom names none. Each base is built once from the Debian mirrors (about 10
// s and 50 MB each here) into the shared cache.
func TestJavaBaseByRelease(t *testing.T) {
	needE2E(t)
	env := sharedDebianEnv(t)
	for _, tc := range []struct {
		name    string
		props   string
		release int
		base    string
		why     string
		runs    string
	}{
		{"java 8 from the pom", "<maven.compiler.source>1.8</maven.compiler.source><maven.compiler.target>1.8</maven.compiler.target>", 8,
			"debian:java11", "the project targets Java 8 (the compiler release or target in pom.xml); Java 11 is the oldest Debian Java", "running on java 11."},
		{"java 21 from the class files", "", 21,
			"debian:java21", "the project targets Java 21 (class file target/classes/Main.class, version 65)", "running on java 21."},
		{"java 25 from the pom", "<maven.compiler.release>25</maven.compiler.release>", 25,
			"debian:java25", "the project targets Java 25 (the compiler release or target in pom.xml)", "running on java 25."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := javaReleaseProject(t, tc.props, tc.release)
			layout := filepath.Join(t.TempDir(), "image")
			r := lb(t, dir, env, "build", "--from", "debian:java", "-o", "oci:"+layout)
			if r.code != 0 {
				t.Fatalf("build: exit %d\n%s", r.code, r.stderr)
			}
			if want := "langbuild: base " + tc.base + ": " + tc.why; !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
			got := runLayout(t, layout, "latest")
			if !strings.Contains(got, tc.runs) || !strings.Contains(got, "as nonroot") {
				t.Errorf("the image printed %q, want %q as nonroot", got, tc.runs)
			}
		})
	}
}

// TestJavaBaseErrors: a project that needs a Java no base has is refused
// with the release and where it was read; a default base that cannot be
// pulled names --from debian:java. No network is used.
func TestJavaBaseErrors(t *testing.T) {
	needE2E(t)
	env := cacheEnv(t)
	too := javaReleaseProject(t, "<maven.compiler.release>26</maven.compiler.release>", 17)
	for _, from := range [][]string{nil, {"--from", "debian:java"}} {
		r := lb(t, too, env, append([]string{"build", "-o", "oci:" + filepath.Join(t.TempDir(), "x")}, from...)...)
		want := "the project targets Java 26 (the compiler release or target in pom.xml): no base langbuild knows runs Java 26"
		if r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("release 26 %v: exit %d, stderr lacks %q:\n%s", from, r.code, want, r.stderr)
		}
	}

	// A proxy that refuses every connection stands for a machine offline
	// (loopback registries are never proxied).
	dir := javaReleaseProject(t, "<maven.compiler.release>21</maven.compiler.release>", 21)
	offline := append(append([]string{}, env...), "HTTPS_PROXY=http://127.0.0.1:1", "https_proxy=http://127.0.0.1:1")
	r := lb(t, dir, offline, "build", "-o", "oci:"+filepath.Join(t.TempDir(), "x"))
	for _, w := range []string{
		"langbuild: base gcr.io/distroless/java21-debian12:nonroot: the project targets Java 21 (the compiler release or target in pom.xml)",
		"give --from debian:java",
	} {
		if r.code == 0 || !strings.Contains(r.stderr, w) {
			t.Errorf("offline default base: exit %d, stderr lacks %q:\n%s", r.code, w, r.stderr)
		}
	}
}
