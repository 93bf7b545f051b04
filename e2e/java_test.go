package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// mvn runs Maven in dir and fails the test if it fails.
func mvn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("mvn", append([]string{"-B", "-q"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mvn %v in %s: %v\n%s", args, dir, err, out)
	}
	return string(out)
}

// javaProjects are the Maven test projects (module directories).
var javaProjects = []string{"javahello", "javarules/app", "javaboot"}

// TestJavaClasspathMatchesMaven is the differential test: for every Java
// test project, the runtime classpath langbuild resolves natively is the one
// `mvn dependency:build-classpath` prints, in the same order.
func TestJavaClasspathMatchesMaven(t *testing.T) {
	needE2E(t)
	for _, p := range javaProjects {
		t.Run(p, func(t *testing.T) {
			top, sub, _ := strings.Cut(p, "/")
			dir := filepath.Join(copyProject(t, top), sub)
			out := filepath.Join(t.TempDir(), "cp.txt")
			mvn(t, dir, "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath", "-Dmdep.outputFile="+out, "-DincludeScope=runtime")
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, f := range strings.Split(strings.TrimSpace(string(b)), ":") {
				// Left out as Spring Boot's repackager leaves it out.
				if !strings.Contains(f, "/spring-boot-devtools/") {
					want = append(want, f)
				}
			}
			if p == "javaboot" && len(want) == len(strings.Split(strings.TrimSpace(string(b)), ":")) {
				t.Errorf("Maven's classpath of javaboot has no spring-boot-devtools: the test project lost it")
			}
			// plan reads the poms only: no compile needed for the classpath,
			// but the analyzer wants target/classes, so compile first.
			mvn(t, dir, "compile")
			r := lb(t, dir, cacheEnv(t), "plan", "--json")
			if r.code != 0 {
				t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
			}
			var plan struct {
				Plan struct{ Facts map[string]string }
			}
			if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
				t.Fatal(err)
			}
			got := strings.Split(plan.Plan.Facts["java.classpath"], ":")
			if !slices.Equal(got, want) {
				t.Errorf("classpath differs from Maven's\nlangbuild:\n  %s\nmaven:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// TestJavaHello builds the Java test project on the Debian-built java17 base,
// pushes it, runs it, and checks that a change to a class moves only the
// classes layer, a resource only the resources layer, and a touched class
// file nothing.
func TestJavaHello(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "javahello")
	mvn(t, dir, "package", "-DskipTests")
	env := sharedDebianEnv(t)
	ref := registry + "/javahello:e2e"
	build := func() string {
		return mustBuild(t, dir, env, "build", "--from", "debian:java17", "-o", ref, "-q")
	}
	d := build()
	if out := tool(t, "crane", "validate", "--remote", registry+"/javahello@"+d); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
	got := runImage(t, ref)
	for _, w := range []string{"hello from javahello", "joined: a-b-c", "capitalized: Langbuild", "resource: greetings from a resource", "user: nonroot"} {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	uploadedLayers := func() []string { return uploadedNames(t, ref) }

	edit(t, filepath.Join(dir, "src/main/java/dev/langbuild/hello/Main.java"), `"hello from javahello"`, `"hello again from javahello"`)
	mvn(t, dir, "compile")
	counter.reset()
	build()
	if up := uploadedLayers(); !slices.Equal(up, []string{"classes"}) {
		t.Errorf("after a class change the uploaded layers are %v, want [classes]", up)
	}
	if n := len(uploads(counter.snapshot())); n != 2 {
		t.Errorf("after a class change %d blobs were uploaded, want 2 (classes layer, config)", n)
	}

	os.WriteFile(filepath.Join(dir, "src/main/resources/greeting.txt"), []byte("changed greeting\n"), 0o644)
	mvn(t, dir, "compile")
	counter.reset()
	build()
	if up := uploadedLayers(); !slices.Equal(up, []string{"resources"}) {
		t.Errorf("after a resource change the uploaded layers are %v, want [resources]", up)
	}

	cls := filepath.Join(dir, "target/classes/dev/langbuild/hello/Main.class")
	later := time.Now().Add(time.Minute)
	os.Chtimes(cls, later, later)
	counter.reset()
	build()
	if up := uploads(counter.snapshot()); len(up) != 0 {
		t.Errorf("a touched class file caused uploads: %v", up)
	}
	got = runImage(t, ref)
	if !strings.Contains(got, "hello again from javahello") || !strings.Contains(got, "resource: changed greeting") {
		t.Errorf("rebuilt image printed:\n%s", got)
	}
}

// TestJavaMultiModule builds a module of a multi-module project, from the
// parent with --module and from the module's directory: the classpath is
// the reactor's (the sibling module first, as Maven lists it), the sibling
// lands in the project-dependency layer and the installed SNAPSHOT library
// in the snapshot layer, and the image runs.
func TestJavaMultiModule(t *testing.T) {
	needE2E(t)
	snap := copyProject(t, "javasnaplib")
	mvn(t, snap, "install")
	dir := copyProject(t, "javamulti")
	out := filepath.Join(t.TempDir(), "cp.txt")
	mvn(t, dir, "package", "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath", "-pl", "app", "-am",
		"-Dmdep.outputFile="+out, "-DincludeScope=runtime")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(b)), ":")
	env := sharedDebianEnv(t)
	r := lb(t, dir, env, "plan", "--module", "app", "--json")
	if r.code != 0 {
		t.Fatalf("plan --module app: %s", r.stderr)
	}
	var plan struct {
		Plan struct {
			Facts  map[string]string
			Layers []struct {
				Name    string
				Entries []struct{ Path string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(plan.Plan.Facts["java.classpath"], ":"); !slices.Equal(got, want) {
		t.Errorf("classpath differs from Maven's reactor\nlangbuild:\n  %s\nmaven:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	layers := map[string][]string{}
	for _, l := range plan.Plan.Layers {
		for _, e := range l.Entries {
			layers[l.Name] = append(layers[l.Name], e.Path)
		}
	}
	if !slices.Equal(layers["project dependencies"], []string{"/app/libs/javamulti-core-1.0-SNAPSHOT.jar"}) ||
		!slices.Equal(layers["snapshot dependencies"], []string{"/app/libs/javasnaplib-0.1-SNAPSHOT.jar"}) {
		t.Errorf("layers: %v", layers)
	}

	ref := registry + "/javamulti:e2e"
	d1 := mustBuild(t, dir, env, "build", "--module", "app", "--from", "debian:java17", "-o", ref, "-q")
	if out := tool(t, "crane", "validate", "--remote", registry+"/javamulti@"+d1); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
	got := runImage(t, ref)
	for _, w := range []string{`{"greeting":"hello from core, multi"}`, "snaplib 0.1-SNAPSHOT", "app resource: javamulti-app"} {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	// From the module's own directory: the same image.
	layout := filepath.Join(t.TempDir(), "layout")
	if d2 := mustBuild(t, filepath.Join(dir, "app"), env, "build", "--from", "debian:java17", "-o", "oci:"+layout, "-q"); d2 != d1 {
		t.Errorf("built in the module directory: %s, from the parent: %s", d2, d1)
	}
	// The parent alone is not buildable.
	r = lb(t, dir, env, "build", "--from", "debian:java17", "-o", "oci:"+layout)
	if r.code == 0 || !strings.Contains(r.stderr, "--module") {
		t.Errorf("building the parent: exit %d\n%s", r.code, r.stderr)
	}
}

// serveImage unpacks a layout image and runs it with runc in the host's
// network namespace, with env added, until the test ends. It returns when
// the program is started (not necessarily listening).
func serveImage(t *testing.T, layoutDir, tag string, env ...string) {
	t.Helper()
	bundle := filepath.Join(t.TempDir(), "bundle")
	tool(t, "umoci", "unpack", "--image", layoutDir+":"+tag, bundle)
	cfgPath := filepath.Join(bundle, "config.json")
	b, _ := os.ReadFile(cfgPath)
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	var penv []any
	if e, ok := proc["env"].([]any); ok {
		penv = e
	}
	for _, e := range env {
		penv = append(penv, e)
	}
	proc["env"] = penv
	// Share the host's network, so the test can reach the server on loopback.
	linux := spec["linux"].(map[string]any)
	var ns []any
	for _, n := range linux["namespaces"].([]any) {
		if n.(map[string]any)["type"] != "network" {
			ns = append(ns, n)
		}
	}
	linux["namespaces"] = ns
	b, _ = json.Marshal(spec)
	os.WriteFile(cfgPath, b, 0o644)
	id := "lbsrv-" + strings.ReplaceAll(filepath.Base(filepath.Dir(bundle)), "_", "")
	logf, _ := os.Create(filepath.Join(t.TempDir(), "server.log"))
	cmd := exec.Command("runc", "run", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("runc", "kill", id, "KILL").Run()
		cmd.Wait()
		exec.Command("runc", "delete", "-f", id).Run()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("server output:\n%s", b)
		}
	})
}

// httpGet polls url until it answers or the deadline passes.
func httpGet(t *testing.T, url string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return string(b)
			}
			last = fmt.Errorf("%s", resp.Status)
		} else {
			last = err
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("GET %s: no answer within %s: %v", url, within, last)
	return ""
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestJavaSpringBoot builds the Spring Boot app exploded (the classpath
// Maven resolves, then resources and classes) and from its fat jar, laid
// out as Boot's own `extract --layers --launcher` lays it: one layer for
// each layer of the jar's BOOT-INF/layers.idx, in its order, below /app,
// run by Boot's JarLauncher. Both run on the Debian-built java17 base and
// answer HTTP.
func TestJavaSpringBoot(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "javaboot")
	mvn(t, dir, "package", "-DskipTests")
	env := sharedDebianEnv(t)
	const jar = "target/javaboot-1.0.0.jar"
	// The fat jar's layers: the index's, in its order, less those it
	// lists with no entry (javaboot has no snapshot dependency), since
	// langbuild writes no empty layer.
	fatJar := func(t *testing.T, layout string) {
		var indexed, want []string
		for _, l := range strings.Split(tool(t, "unzip", "-p", filepath.Join(dir, jar), "BOOT-INF/layers.idx"), "\n") {
			switch {
			case strings.HasPrefix(l, `- "`):
				indexed = append(indexed, strings.TrimSuffix(strings.TrimPrefix(l, `- "`), `":`))
			case strings.HasPrefix(l, "  - ") && (len(want) == 0 || want[len(want)-1] != indexed[len(indexed)-1]):
				want = append(want, indexed[len(indexed)-1])
			}
		}
		if !slices.Equal(indexed, []string{"dependencies", "spring-boot-loader", "snapshot-dependencies", "application"}) ||
			!slices.Equal(want, []string{"dependencies", "spring-boot-loader", "application"}) {
			t.Fatalf("layers.idx lists %q, with entries %q", indexed, want)
		}
		var cfg struct {
			Config  struct{ Entrypoint []string }
			History []struct{ Comment string }
		}
		if err := json.Unmarshal([]byte(tool(t, "skopeo", "inspect", "--config", "oci:"+layout+":latest")), &cfg); err != nil {
			t.Fatal(err)
		}
		var m struct{ Layers []struct{ Digest string } }
		if err := json.Unmarshal([]byte(tool(t, "skopeo", "inspect", "--raw", "oci:"+layout+":latest")), &m); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range cfg.History[len(cfg.History)-len(want):] {
			got = append(got, h.Comment)
		}
		if !slices.Equal(got, want) {
			t.Errorf("the image's last layers are %q, want %q", got, want)
		}
		if e := []string{"java", "-cp", "/app", "org.springframework.boot.loader.launch.JarLauncher"}; !slices.Equal(cfg.Config.Entrypoint, e) {
			t.Errorf("entrypoint %q, want %q", cfg.Config.Entrypoint, e)
		}
		// Each layer holds what the index gives it, where the jar has it.
		layers := m.Layers[len(m.Layers)-len(want):]
		for i, file := range []string{"app/BOOT-INF/lib/spring-webmvc-", "app/org/springframework/boot/loader/launch/JarLauncher.class", "app/BOOT-INF/classes/dev/langbuild/boot/BootApp.class"} {
			blob := filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(layers[i].Digest, "sha256:"))
			if list := tool(t, "tar", "-tzf", blob); !strings.Contains(list, file) || (i > 0 && strings.Contains(list, "BOOT-INF/lib/")) {
				t.Errorf("layer %s lacks %s or holds a dependency:\n%s", want[i], file, list)
			}
		}
	}
	for _, mode := range []struct {
		name  string
		args  []string
		check func(t *testing.T, layout string)
	}{
		{"exploded", nil, nil},
		{"fat jar", []string{"--jar", jar}, fatJar},
	} {
		t.Run(mode.name, func(t *testing.T) {
			layout := filepath.Join(t.TempDir(), "layout")
			args := append([]string{"build", "--from", "debian:java17", "-o", "oci:" + layout, "-q"}, mode.args...)
			mustBuild(t, dir, env, args...)
			if got := tool(t, "oci-image-tool", "validate", "--type", "image", "--ref", "name=latest", layout); !strings.Contains(got, "OK") {
				t.Errorf("oci-image-tool: %s", got)
			}
			if mode.check != nil {
				mode.check(t, layout)
			}
			port := freePort(t)
			serveImage(t, layout, "latest", fmt.Sprintf("PORT=%d", port))
			got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/hello", port), 90*time.Second)
			if got != "hello from spring boot as nonroot" {
				t.Errorf("GET /hello = %q", got)
			}
		})
	}
}

// TestJavaFromMaven runs langbuild from Maven: the javahello pom's langbuild
// profile calls it through exec-maven-plugin in `mvn package`, with the
// classpath Maven resolved.
func TestJavaFromMaven(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "javahello")
	layout := filepath.Join(t.TempDir(), "layout")
	cmd := exec.Command("mvn", "-B", "-q", "package", "-DskipTests", "-Plangbuild",
		"-Dlangbuild.bin="+langbuild, "-Dlangbuild.output=oci:"+layout)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), sharedDebianEnv(t)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mvn package -Plangbuild: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "oci:"+layout+":latest@sha256:") {
		t.Errorf("Maven's output lacks the image reference:\n%s", out)
	}
	got := runLayout(t, layout, "latest")
	if !strings.Contains(got, "hello from javahello") || !strings.Contains(got, "joined: a-b-c") {
		t.Errorf("image built from Maven printed:\n%s", got)
	}
	// The same image as langbuild resolving the classpath itself.
	own := filepath.Join(t.TempDir(), "own")
	d := mustBuild(t, dir, sharedDebianEnv(t), "build", "--from", "debian:java17", "-o", "oci:"+own, "-q")
	if !strings.Contains(string(out), d) {
		t.Errorf("from Maven and on its own the digests differ: %s vs Maven's output:\n%s", d, out)
	}
}

// TestJavaBadInput: each mistake gives a clear error naming the file (and
// line where there is one), a non-zero exit, no stack trace, and nothing in
// the registry.
func TestJavaBadInput(t *testing.T) {
	needE2E(t)
	env := cacheEnv(t)
	write := func(files map[string]string) string {
		dir := t.TempDir()
		for name, content := range files {
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(content), 0o644)
		}
		return dir
	}
	const head = `<project><modelVersion>4.0.0</modelVersion><groupId>g</groupId><artifactId>bad</artifactId><version>1</version>`
	mainClass := func(name string) string {
		return "package p; public class " + name + " { public static void main(String[] a) {} }"
	}
	compiled := func(files map[string]string, sources ...string) string {
		dir := write(files)
		var srcs []string
		for i, s := range sources {
			f := filepath.Join(dir, "src", fmt.Sprintf("C%d.java", i))
			os.MkdirAll(filepath.Dir(f), 0o755)
			os.WriteFile(f, []byte(strings.Replace(s, "class X", fmt.Sprintf("class C%d", i), 1)), 0o644)
			srcs = append(srcs, f)
		}
		if len(srcs) > 0 {
			args := append([]string{"--release", "17", "-d", filepath.Join(dir, "target", "classes")}, srcs...)
			if out, err := exec.Command("javac", args...).CombinedOutput(); err != nil {
				t.Fatalf("javac: %v %s", err, out)
			}
		}
		return dir
	}
	corrupt := compiled(map[string]string{"pom.xml": head + "</project>"}, mainClass("X"))
	os.WriteFile(filepath.Join(corrupt, "target/classes/p/C0.class"), []byte{0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 61, 0, 12, 1}, 0o644)
	badJar := write(map[string]string{"pom.xml": head + "</project>", "app.jar": "PK\x03\x04 broken"})
	for _, tc := range []struct {
		name string
		dir  string
		args []string
		want []string
	}{
		{"malformed pom", write(map[string]string{"pom.xml": head + "\n<dependencies>\n<dependency>\n</project>"}), nil, []string{"pom.xml:4", "malformed XML"}},
		{"missing parent", write(map[string]string{"pom.xml": "<project>\n<parent><groupId>g</groupId><artifactId>nowhere</artifactId><version>9</version></parent>\n<artifactId>a</artifactId></project>"}), nil, []string{"pom.xml:2", "parent g:nowhere:9"}},
		{"undefined property", write(map[string]string{"pom.xml": head + "\n<dependencies><dependency><groupId>g</groupId><artifactId>x</artifactId>\n<version>${x.version}</version></dependency></dependencies></project>"}), nil, []string{"pom.xml:3", "${x.version} is not defined"}},
		{"not compiled", write(map[string]string{"pom.xml": head + "</project>"}), nil, []string{"run `mvn compile`"}},
		{"several mains", compiled(map[string]string{"pom.xml": head + "</project>"}, mainClass("X"), mainClass("X")), nil, []string{"several classes have a main method (p.C0, p.C1)"}},
		{"no main", compiled(map[string]string{"pom.xml": head + "</project>"}, "package p; class X {}"), nil, []string{"no class with a main method"}},
		{"corrupt class", corrupt, nil, []string{"C0.class", "truncated"}},
		{"corrupt jar", badJar, []string{"--jar", "app.jar"}, []string{"app.jar", "is it a jar?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"build", "--from", "builtin:static", "-o", registry + "/bad/java:x"}, tc.args...)
			r := lb(t, tc.dir, env, args...)
			if r.code == 0 {
				t.Fatalf("exit 0")
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace:\n%s", r.stderr)
			}
		})
	}
	resp, err := http.Get("http://" + direct + "/v2/bad/java/tags/list")
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("failed builds left tags: %s", b)
		}
	}
}

// TestJavaFetchesWhatIsMissing: with an empty local repository (Maven's own
// settings point at it), langbuild says it runs Maven once to fetch what is
// missing, then resolves natively and builds the same image.
func TestJavaFetchesWhatIsMissing(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "javahello")
	mvn(t, dir, "compile")
	env := sharedDebianEnv(t)
	want := mustBuild(t, dir, env, "build", "--from", "debian:java17", "-o", "oci:"+filepath.Join(t.TempDir(), "a"), "-q")

	home := t.TempDir()
	repo := filepath.Join(t.TempDir(), "repo")
	os.MkdirAll(filepath.Join(home, ".m2"), 0o755)
	os.WriteFile(filepath.Join(home, ".m2", "settings.xml"), []byte("<settings><localRepository>"+repo+"</localRepository></settings>"), 0o644)
	r := lb(t, dir, append(env, "HOME="+home), "build", "--from", "debian:java17", "-o", "oci:"+filepath.Join(t.TempDir(), "b"))
	if r.code != 0 {
		t.Fatalf("build with an empty local repository: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "running Maven once to fetch") {
		t.Errorf("stderr does not say Maven ran:\n%s", r.stderr)
	}
	if got := digestOf(r.stdout); got != want {
		t.Errorf("digest %s, want %s (the same classpath from the other repository)", got, want)
	}
	if _, err := os.Stat(filepath.Join(repo, "com/google/guava/guava/33.5.0-jre/guava-33.5.0-jre.jar")); err != nil {
		t.Errorf("Maven did not fill the configured local repository: %v", err)
	}
}

// TestJavaRules runs the javarules image: a BOM-managed Jackson, a relocated
// driver and a classifier jar on the classpath, on the Debian java17 base.
func TestJavaRules(t *testing.T) {
	needE2E(t)
	dir := filepath.Join(copyProject(t, "javarules"), "app")
	mvn(t, dir, "compile")
	ref := registry + "/javarules:e2e"
	d := mustBuild(t, dir, sharedDebianEnv(t), "build", "--from", "debian:java17", "-o", ref, "-q")
	if out := tool(t, "crane", "validate", "--remote", registry+"/javarules@"+d); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
	if got := runImage(t, ref); !strings.Contains(got, `{"rules":"ok"}`) {
		t.Errorf("javarules printed:\n%s", got)
	}
}
