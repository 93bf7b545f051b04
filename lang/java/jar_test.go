package java

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

func writeJar(t *testing.T, file string, entries map[string]string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(file), 0o755)
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, content := range entries {
		w, _ := zw.Create(name)
		w.Write([]byte(content))
	}
	zw.Close()
	f.Close()
}

func TestPlainJar(t *testing.T) {
	dir := t.TempDir()
	writeJar(t, filepath.Join(dir, "lib", "dep.jar"), map[string]string{"x": "y"})
	writeJar(t, filepath.Join(dir, "app.jar"), map[string]string{
		"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\nMain-Class: p.Main\r\nClass-Path: lib/dep\r\n .jar\r\n\r\n",
		"p/Main.class":         "not really",
	})
	plan, err := (&Analyzer{Options: Options{Jar: "app.jar"}}).Analyze(context.Background(), dir, lang.Options{WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan.Config.Entrypoint, " "); got != "java -jar /app/app.jar" {
		t.Errorf("entrypoint %q", got)
	}
	if e := plan.Layers[0].Entries; len(e) != 1 || e[0].Path != "/app/lib/dep.jar" {
		t.Errorf("Class-Path (continued over two manifest lines) gave %+v", e)
	}
}

// bootJar is a Spring Boot fat jar's entries: its launcher, an app class
// and resource, a release and a snapshot dependency, and the indexes.
func bootJar(launcher, layersIdx string) map[string]string {
	files := map[string]string{
		"META-INF/MANIFEST.MF":                                    "Manifest-Version: 1.0\nMain-Class: " + launcher + "\nStart-Class: p.App\nSpring-Boot-Layers-Index: BOOT-INF/layers.idx\n\n",
		"META-INF/maven/g/a/pom.xml":                              "<project/>",
		"BOOT-INF/classes/p/App.class":                            "class",
		"BOOT-INF/classes/app.properties":                         "a=b",
		"BOOT-INF/lib/b-1.0.jar":                                  "b",
		"BOOT-INF/lib/a-2.0-SNAPSHOT.jar":                         "a",
		"BOOT-INF/classpath.idx":                                  "- \"BOOT-INF/lib/b-1.0.jar\"\n- \"BOOT-INF/lib/a-2.0-SNAPSHOT.jar\"\n",
		strings.ReplaceAll(launcher, ".", "/") + ".class":         "loader",
		"org/springframework/boot/loader/jar/NestedJarFile.class": "loader",
	}
	if layersIdx != "" {
		files["BOOT-INF/layers.idx"] = layersIdx
	}
	return files
}

// bootLayersIdx is layers.idx as Spring Boot's repackager writes it for
// bootJar: directories where a whole directory is in one layer.
const bootLayersIdx = `- "dependencies":
  - "BOOT-INF/lib/b-1.0.jar"
- "spring-boot-loader":
  - "org/"
- "snapshot-dependencies":
  - "BOOT-INF/lib/a-2.0-SNAPSHOT.jar"
- "application":
  - "BOOT-INF/classes/"
  - "BOOT-INF/classpath.idx"
  - "BOOT-INF/layers.idx"
  - "META-INF/"
`

// planLayers lists each layer's paths, sorted, by layer name, and the
// names in order.
func planLayers(p *layering.Plan) (names []string, paths map[string]string) {
	paths = map[string]string{}
	for _, l := range p.Layers {
		names = append(names, l.Name)
		var ps []string
		for _, e := range l.Entries {
			ps = append(ps, e.Path)
		}
		sort.Strings(ps)
		paths[l.Name] = strings.Join(ps, " ")
	}
	return names, paths
}

func TestBootJarLayered(t *testing.T) {
	for _, tc := range []struct {
		name, launcher, layersIdx string
		flags                     []string
		wantNames                 []string
		wantPaths                 map[string]string
	}{
		{
			name:      "Boot 3.2 and later",
			launcher:  "org.springframework.boot.loader.launch.JarLauncher",
			layersIdx: bootLayersIdx,
			flags:     []string{"-Xmx256m"},
			wantNames: []string{"dependencies", "spring-boot-loader", "snapshot-dependencies", "application"},
			wantPaths: map[string]string{
				"dependencies":          "/app/BOOT-INF/lib/b-1.0.jar",
				"spring-boot-loader":    "/app/org/springframework/boot/loader/jar/NestedJarFile.class /app/org/springframework/boot/loader/launch/JarLauncher.class",
				"snapshot-dependencies": "/app/BOOT-INF/lib/a-2.0-SNAPSHOT.jar",
				"application":           "/app/BOOT-INF/classes/app.properties /app/BOOT-INF/classes/p/App.class /app/BOOT-INF/classpath.idx /app/BOOT-INF/layers.idx /app/META-INF/MANIFEST.MF /app/META-INF/maven/g/a/pom.xml",
			},
		},
		{
			// A custom layers configuration: its own layer names and
			// order, a file listed before the directory holding it.
			name:     "Boot 2, custom layers",
			launcher: "org.springframework.boot.loader.JarLauncher",
			layersIdx: "- \"spring-boot-loader\":\n  - \"org/\"\n- \"company\":\n  - \"BOOT-INF/lib/a-2.0-SNAPSHOT.jar\"\n  - \"BOOT-INF/classes/app.properties\"\n" +
				"- \"dependencies\":\n  - \"BOOT-INF/lib/\"\n\n- \"application\":\n  - \"BOOT-INF/\"\n  - \"META-INF/\"\n",
			wantNames: []string{"spring-boot-loader", "company", "dependencies", "application"},
			wantPaths: map[string]string{
				"spring-boot-loader": "/app/org/springframework/boot/loader/JarLauncher.class /app/org/springframework/boot/loader/jar/NestedJarFile.class",
				"company":            "/app/BOOT-INF/classes/app.properties /app/BOOT-INF/lib/a-2.0-SNAPSHOT.jar",
				"dependencies":       "/app/BOOT-INF/lib/b-1.0.jar",
				"application":        "/app/BOOT-INF/classes/p/App.class /app/BOOT-INF/classpath.idx /app/BOOT-INF/layers.idx /app/META-INF/MANIFEST.MF /app/META-INF/maven/g/a/pom.xml",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeJar(t, filepath.Join(dir, "boot.jar"), bootJar(tc.launcher, tc.layersIdx))
			plan, err := (&Analyzer{Options: Options{Jar: "boot.jar", JVMFlags: tc.flags}}).Analyze(context.Background(), dir, lang.Options{WorkDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if err := plan.Validate(); err != nil {
				t.Fatal(err)
			}
			names, paths := planLayers(plan)
			if diff := cmp.Diff(tc.wantNames, names); diff != "" {
				t.Errorf("layers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantPaths, paths); diff != "" {
				t.Errorf("layer contents (-want +got):\n%s", diff)
			}
			for _, l := range plan.Layers {
				if l.Stable != (l.Name != "application") {
					t.Errorf("layer %s: stable %v", l.Name, l.Stable)
				}
			}
			want := append(append([]string{"java"}, tc.flags...), "-cp", "/app", tc.launcher)
			if diff := cmp.Diff(want, plan.Config.Entrypoint); diff != "" {
				t.Errorf("entrypoint (-want +got):\n%s", diff)
			}
			if plan.Config.WorkingDir != "/app" || plan.Config.User != "65532" || plan.Config.Cmd != nil {
				t.Errorf("config %+v", plan.Config)
			}
		})
	}
}

// TestBootJarExploded: without a layers index, or with --main-class, the
// jar runs without its launcher, as Jib lays an app out.
func TestBootJarExploded(t *testing.T) {
	const launcher = "org.springframework.boot.loader.launch.JarLauncher"
	// With an index, it says which jars are snapshots, whatever their names.
	swapped := strings.NewReplacer("b-1.0.jar", "a-2.0-SNAPSHOT.jar", "a-2.0-SNAPSHOT.jar", "b-1.0.jar").Replace(bootLayersIdx)
	for _, tc := range []struct {
		name, layersIdx, mainClass, wantMain string
		release, snapshot                    string
	}{
		{"no layers index", "", "", "p.App", "b-1.0.jar", "a-2.0-SNAPSHOT.jar"},
		{"--main-class", swapped, "p.Other", "p.Other", "a-2.0-SNAPSHOT.jar", "b-1.0.jar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeJar(t, filepath.Join(dir, "boot.jar"), bootJar(launcher, tc.layersIdx))
			plan, err := (&Analyzer{Options: Options{Jar: filepath.Join(dir, "boot.jar"), MainClass: tc.mainClass}}).Analyze(context.Background(), dir, lang.Options{WorkDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			_, paths := planLayers(plan)
			want := map[string]string{
				"dependencies":          "/app/libs/" + tc.release,
				"snapshot dependencies": "/app/libs/" + tc.snapshot,
				"resources":             "/app/resources/app.properties",
				"classes":               "/app/classes/p/App.class",
				"jvm arg files":         "/app/classpath",
			}
			if diff := cmp.Diff(want, paths); diff != "" {
				t.Errorf("layers (-want +got):\n%s", diff)
			}
			cp := string(plan.Layers[len(plan.Layers)-1].Entries[0].Data)
			if cp != "/app/resources:/app/classes:/app/libs/b-1.0.jar:/app/libs/a-2.0-SNAPSHOT.jar\n" {
				t.Errorf("classpath %q", cp)
			}
			if e := plan.Config.Entrypoint; e[len(e)-1] != tc.wantMain {
				t.Errorf("entrypoint %q", e)
			}
		})
	}
}

// TestBootJarOneClassChange: a new build of the app with one class changed
// changes its application layer only.
func TestBootJarOneClassChange(t *testing.T) {
	const launcher = "org.springframework.boot.loader.launch.JarLauncher"
	cache, err := layering.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := layering.NewBuilder(cache)
	if err != nil {
		t.Fatal(err)
	}
	digests := func(files map[string]string) map[string]string {
		dir := t.TempDir()
		writeJar(t, filepath.Join(dir, "boot.jar"), files)
		plan, err := (&Analyzer{Options: Options{Jar: "boot.jar"}}).Analyze(context.Background(), dir, lang.Options{WorkDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		blobs, err := b.Build(context.Background(), plan)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, bl := range blobs {
			out[bl.Name] = bl.Digest
		}
		return out
	}
	files := bootJar(launcher, bootLayersIdx)
	before := digests(files)
	files["BOOT-INF/classes/p/App.class"] = "class, changed"
	after := digests(files)
	if len(before) != 4 {
		t.Fatalf("layers %v", before)
	}
	for name, d := range before {
		if changed := after[name] != d; changed != (name == "application") {
			t.Errorf("layer %s: changed %v", name, changed)
		}
	}
}

func TestBadJars(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "corrupt.jar"), []byte("PK\x03\x04 this is not a zip"), 0o644)
	writeJar(t, filepath.Join(dir, "nomain.jar"), map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n\n"})
	writeJar(t, filepath.Join(dir, "nomanifest.jar"), map[string]string{"a.class": "x"})
	writeJar(t, filepath.Join(dir, "slip.jar"), map[string]string{"META-INF/MANIFEST.MF": "Main-Class: a\n", "../../evil": "x"})
	const launcher = "org.springframework.boot.loader.launch.JarLauncher"
	bootSlip := bootJar(launcher, bootLayersIdx)
	bootSlip["BOOT-INF/classes/../../../evil"] = "x"
	writeJar(t, filepath.Join(dir, "bootslip.jar"), bootSlip)
	unlayered := bootJar(launcher, strings.Replace(bootLayersIdx, `  - "META-INF/"`+"\n", "", 1))
	writeJar(t, filepath.Join(dir, "unlayered.jar"), unlayered)
	writeJar(t, filepath.Join(dir, "badidx.jar"), bootJar(launcher, bootLayersIdx+"dependencies:\n"))
	writeJar(t, filepath.Join(dir, "emptyidx.jar"), bootJar(launcher, "\n"))
	writeJar(t, filepath.Join(dir, "twiceidx.jar"), bootJar(launcher, bootLayersIdx+`- "dependencies":`+"\n"))
	nolauncher := bootJar(launcher, bootLayersIdx)
	delete(nolauncher, "org/springframework/boot/loader/launch/JarLauncher.class")
	writeJar(t, filepath.Join(dir, "nolauncher.jar"), nolauncher)
	for _, tc := range []struct{ jar, want string }{
		{"corrupt.jar", "corrupt.jar"},
		{"nomain.jar", "no Main-Class"},
		{"nomanifest.jar", "no META-INF/MANIFEST.MF"},
		{"slip.jar", "leaves the jar's root"},
		{"bootslip.jar", "leaves the jar's root"},
		{"unlayered.jar", "is in no layer of its layers index"}, // the first META-INF entry in the jar
		{"badidx.jar", "BOOT-INF/layers.idx: line 12: neither"},
		{"emptyidx.jar", "BOOT-INF/layers.idx: no layers"},
		{"twiceidx.jar", `line 12: layer "dependencies" a second time`},
		{"nolauncher.jar", "Main-Class org.springframework.boot.loader.launch.JarLauncher, Spring Boot's launcher, is not in the jar"},
		{"absent.jar", "absent.jar"},
	} {
		_, err := (&Analyzer{Options: Options{Jar: tc.jar}}).Analyze(context.Background(), dir, lang.Options{WorkDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.jar, err, tc.want)
		}
	}
}

func TestDuplicateJarNames(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "g1", "util-1.0.jar")
	b := filepath.Join(dir, "g2", "util-1.0.jar")
	os.MkdirAll(filepath.Dir(a), 0o755)
	os.MkdirAll(filepath.Dir(b), 0o755)
	os.WriteFile(a, []byte("one jar"), 0o644)
	os.WriteFile(b, []byte("another jar, same size?"), 0o644)
	es, err := libEntries([]Artifact{{File: a}, {File: b}, {File: filepath.Join(dir, "g1", "util-1.0.jar")}})
	if err == nil && es[0].Path == es[1].Path {
		t.Errorf("two different jars share %s", es[0].Path)
	}
	if err != nil || !strings.HasPrefix(es[0].Path, "/app/libs/util-1.0-") || !strings.HasSuffix(es[0].Path, ".jar") {
		t.Errorf("entries %+v %v", es, err)
	}
	h, _ := fileHash(a)
	if es[0].Path != "/app/libs/util-1.0-"+h[:12]+".jar" {
		t.Errorf("suffix is not the content hash: %s", es[0].Path)
	}
}
