package java

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/langbuild/langbuild/lang"
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
	plan, err := New().Analyze(context.Background(), dir, lang.Options{Jar: "app.jar", WorkDir: t.TempDir()})
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

func TestBootJar(t *testing.T) {
	dir := t.TempDir()
	writeJar(t, filepath.Join(dir, "boot.jar"), map[string]string{
		"META-INF/MANIFEST.MF":                                     "Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.launch.JarLauncher\nStart-Class: p.App\n\n",
		"BOOT-INF/classes/p/App.class":                             "class",
		"BOOT-INF/classes/app.properties":                          "a=b",
		"BOOT-INF/lib/b-1.0.jar":                                   "b",
		"BOOT-INF/lib/a-2.0-SNAPSHOT.jar":                          "a",
		"BOOT-INF/classpath.idx":                                   "- \"BOOT-INF/lib/b-1.0.jar\"\n- \"BOOT-INF/lib/a-2.0-SNAPSHOT.jar\"\n",
		"BOOT-INF/layers.idx":                                      "- \"dependencies\":\n  - \"BOOT-INF/lib/b-1.0.jar\"\n- \"snapshot-dependencies\":\n  - \"BOOT-INF/lib/a-2.0-SNAPSHOT.jar\"\n- \"application\":\n  - \"BOOT-INF/classes/\"\n",
		"org/springframework/boot/loader/launch/JarLauncher.class": "loader",
	})
	plan, err := New().Analyze(context.Background(), dir, lang.Options{Jar: filepath.Join(dir, "boot.jar"), WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	layers := map[string][]string{}
	for _, l := range plan.Layers {
		for _, e := range l.Entries {
			layers[l.Name] = append(layers[l.Name], e.Path)
		}
	}
	if strings.Join(layers["dependencies"], ",") != "/app/libs/b-1.0.jar" || strings.Join(layers["snapshot dependencies"], ",") != "/app/libs/a-2.0-SNAPSHOT.jar" ||
		strings.Join(layers["classes"], ",") != "/app/classes/p/App.class" || strings.Join(layers["resources"], ",") != "/app/resources/app.properties" {
		t.Errorf("layers %v", layers)
	}
	cp := string(plan.Layers[len(plan.Layers)-1].Entries[0].Data)
	if cp != "/app/resources:/app/classes:/app/libs/b-1.0.jar:/app/libs/a-2.0-SNAPSHOT.jar\n" {
		t.Errorf("classpath %q", cp)
	}
	if e := plan.Config.Entrypoint; e[len(e)-1] != "p.App" {
		t.Errorf("entrypoint %q", e)
	}
}

func TestBadJars(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "corrupt.jar"), []byte("PK\x03\x04 this is not a zip"), 0o644)
	writeJar(t, filepath.Join(dir, "nomain.jar"), map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n\n"})
	writeJar(t, filepath.Join(dir, "nomanifest.jar"), map[string]string{"a.class": "x"})
	writeJar(t, filepath.Join(dir, "slip.jar"), map[string]string{"META-INF/MANIFEST.MF": "Main-Class: a\n", "../../evil": "x"})
	for _, tc := range []struct{ jar, want string }{
		{"corrupt.jar", "corrupt.jar"},
		{"nomain.jar", "no Main-Class"},
		{"nomanifest.jar", "no META-INF/MANIFEST.MF"},
		{"slip.jar", "leaves the jar's root"},
		{"absent.jar", "absent.jar"},
	} {
		_, err := New().Analyze(context.Background(), dir, lang.Options{Jar: tc.jar, WorkDir: t.TempDir()})
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
