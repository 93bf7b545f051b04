package e2e

import (
	"archive/zip"
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMalformedInputCatalogue feeds langbuild one malformed input at a time —
// poms, settings, go.mod, package.json, lockfiles, class files, jars and
// their manifests, Debian indexes, image references, base specs, apt
// sources — and checks each gives a clear error (naming what is wrong), a
// non-zero exit, and no panic or stack trace.
func TestMalformedInputCatalogue(t *testing.T) {
	needE2E(t)
	env := cacheEnv(t)
	jar := func(entries map[string]string) string {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for n, c := range entries {
			w, _ := zw.Create(n)
			w.Write([]byte(c))
		}
		zw.Close()
		return b.String()
	}
	// A fake apt repository that serves garbage.
	apt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/garbage/dists/bookworm/InRelease"):
			w.Write([]byte("this is not a signed release file"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer apt.Close()

	const pomHead = `<project><modelVersion>4.0.0</modelVersion><groupId>g</groupId><artifactId>a</artifactId><version>1</version>`
	cls := "target/classes/p/Main.class"
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		want  string
	}{
		// Maven
		{"pom: not XML", map[string]string{"pom.xml": "{json: true}"}, nil, "pom.xml"},
		{"pom: unclosed element", map[string]string{"pom.xml": pomHead + "\n<dependencies>\n"}, nil, "malformed XML"},
		{"pom: wrong root", map[string]string{"pom.xml": "<settings/>"}, nil, "not a Maven pom"},
		{"pom: no artifactId", map[string]string{"pom.xml": "<project><groupId>g</groupId><version>1</version></project>"}, nil, "no <artifactId>"},
		{"pom: undefined property", map[string]string{"pom.xml": pomHead + "<dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>${nope}</version></dependency></dependencies></project>"}, nil, "${nope} is not defined"},
		{"pom: property cycle", map[string]string{"pom.xml": pomHead + "<properties><a>${b}</a><b>${a}</b></properties><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>${a}</version></dependency></dependencies></project>"}, nil, "property cycle"},
		{"pom: dependency without version", map[string]string{"pom.xml": pomHead + "<dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId></dependency></dependencies></project>"}, nil, "has no version"},
		{"pom: incomplete parent", map[string]string{"pom.xml": "<project><parent><groupId>g</groupId></parent><artifactId>a</artifactId></project>"}, nil, "<parent> needs"},
		{"pom: unknown encoding", map[string]string{"pom.xml": `<?xml version="1.0" encoding="klingon-8"?>` + pomHead + "</project>"}, nil, "unknown XML encoding"},
		{"pom: aggregator without --module", map[string]string{"pom.xml": pomHead + "<packaging>pom</packaging><modules><module>m</module></modules></project>", "m/pom.xml": pomHead + "</project>"}, nil, "--module"},
		{"pom: missing module dir", map[string]string{"pom.xml": pomHead + "<packaging>pom</packaging><modules><module>gone</module></modules></project>"}, []string{"--module", "gone"}, "module gone"},
		{"class file: truncated", map[string]string{"pom.xml": pomHead + "</project>", cls: "\xca\xfe\xba\xbe\x00\x00\x00\x3d\x00\x10\x01"}, nil, "truncated"},
		{"class file: bad magic", map[string]string{"pom.xml": pomHead + "</project>", cls: "PK\x03\x04"}, nil, "bad magic"},
		{"class file: bad constant tag", map[string]string{"pom.xml": pomHead + "</project>", cls: "\xca\xfe\xba\xbe\x00\x00\x00\x3d\x00\x03\x63\x00"}, nil, "unknown constant pool tag"},
		{"jar: not a zip", map[string]string{"pom.xml": pomHead + "</project>", "app.jar": "not a zip"}, []string{"--jar", "app.jar"}, "is it a jar?"},
		{"jar: no manifest", map[string]string{"pom.xml": pomHead + "</project>", "app.jar": jar(map[string]string{"a.class": "x"})}, []string{"--jar", "app.jar"}, "MANIFEST.MF"},
		{"manifest: continuation first", map[string]string{"pom.xml": pomHead + "</project>", "app.jar": jar(map[string]string{"META-INF/MANIFEST.MF": " orphan\n"})}, []string{"--jar", "app.jar"}, "continuation line"},
		{"manifest: no colon", map[string]string{"pom.xml": pomHead + "</project>", "app.jar": jar(map[string]string{"META-INF/MANIFEST.MF": "Main-Class a.B\n"})}, []string{"--jar", "app.jar"}, "not a header"},
		{"manifest: Class-Path escapes", map[string]string{"pom.xml": pomHead + "</project>", "app.jar": jar(map[string]string{"META-INF/MANIFEST.MF": "Main-Class: a.B\nClass-Path: ../../etc/x.jar\n"})}, []string{"--jar", "app.jar"}, "not a path below"},
		{"boot jar: no Start-Class", map[string]string{"pom.xml": pomHead + "</project>", "app.jar": jar(map[string]string{"META-INF/MANIFEST.MF": "Main-Class: L\n", "BOOT-INF/classes/a.txt": "x"})}, []string{"--jar", "app.jar"}, "Start-Class"},
		// Go
		{"go.mod: syntax", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\nrequire (\n", "main.go": "package main\nfunc main(){}\n"}, nil, "go.mod:4"},
		{"go.mod: no module line", map[string]string{"go.mod": "go 1.26\n", "main.go": "package main\nfunc main(){}\n"}, nil, "no module line"},
		{"go: compile error", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main() { undefinedName() }\n"}, nil, "undefined: undefinedName"},
		// Node
		{"package.json: syntax", map[string]string{"package.json": "{\"name\": \"x\",}", "package-lock.json": "{}"}, nil, "package.json:1:"},
		{"package.json: wrong type", map[string]string{"package.json": `{"name": "x", "scripts": ["a"]}`, "package-lock.json": "{}"}, nil, "package.json:1:"},
		{"package-lock.json: missing", map[string]string{"package.json": `{"name": "x"}`}, nil, "no lockfile (package-lock.json, pnpm-lock.yaml or yarn.lock)"},
		{"package-lock.json: syntax", map[string]string{"package.json": `{"name": "x"}`, "package-lock.json": "{\"lockfileVersion\": 3,\n\"packages\": {\n}}}"}, nil, "package-lock.json:3:"},
		{"package-lock.json: v1", map[string]string{"package.json": `{"name": "x"}`, "package-lock.json": `{"lockfileVersion": 1}`}, nil, "lockfileVersion 1"},
		{"package-lock.json: escaping link", map[string]string{"package.json": `{"name": "x", "main": "i.js"}`, "i.js": "", "node_modules/.keep": "", "package-lock.json": `{"lockfileVersion": 3, "packages": {"": {}, "node_modules/evil": {"link": true, "resolved": "../../../etc"}}}`}, nil, "outside the project"},
		{"package-lock.json: escaping path", map[string]string{"package.json": `{"name": "x", "main": "i.js"}`, "i.js": "", "node_modules/.keep": "", "package-lock.json": `{"lockfileVersion": 3, "packages": {"": {}, "../outside": {"version": "1"}}}`}, nil, "leaves the project"},
		// References and bases
		{"output: bad reference", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"-o", "UPPER/Case:tag"}, "not a valid image reference"},
		{"output: digest", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"-o", "127.0.0.1:5000/x@sha256:" + strings.Repeat("a", 64)}, "push to a tag"},
		{"base: bad reference", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"--from", "Not::A::Ref"}, "not a valid reference"},
		{"base: missing layout", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"--from", "oci:/nonexistent/layout"}, "/nonexistent/layout"},
		{"base: missing tarball", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"--from", "tar:/nonexistent.tar"}, "/nonexistent.tar"},
		{"base: unknown preset", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"--from", "debian:java99"}, "unknown Debian base preset"},
		{"apt: release not signed", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"--from", "debian:static", "--mirror", apt.URL + "/garbage"}, "not a signed Release file"},
		{"apt: no such suite", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"--from", "debian:static", "--mirror", apt.URL + "/empty"}, "404"},
		{"platform: malformed", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"--platform", "linux-amd64"}, "--platform"},
		{"label: malformed", map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\nfunc main(){}\n"}, []string{"--label", "novalue"}, "want KEY=VALUE"},
	}
	if len(cases) < 30 {
		t.Fatalf("the catalogue has %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(content), 0o644)
			}
			args := []string{"build", "-o", "oci:" + filepath.Join(t.TempDir(), "out"), "--from", "builtin:static"}
			args = append(args, tc.args...)
			r := lb(t, dir, env, args...)
			if r.code == 0 {
				t.Fatalf("exit 0")
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
				t.Errorf("panic or stack trace:\n%s", r.stderr)
			}
		})
	}
}
