package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadInput checks that each mistake gives a clear error, a non-zero exit
// and no stack trace, and that nothing is pushed when a build fails.
func TestBadInput(t *testing.T) {
	needE2E(t)
	good := copyProject(t, "gohello")
	empty := t.TempDir()
	lib := t.TempDir()
	os.WriteFile(filepath.Join(lib, "go.mod"), []byte("module example.com/lib\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(lib, "lib.go"), []byte("package lib\n\nfunc F() int { return 1 }\n"), 0o644)
	broken := copyProject(t, "gohello")
	edit(t, filepath.Join(broken, "main.go"), "fmt.Println(message)", "fmt.Println(mesage)")
	badmod := t.TempDir()
	os.WriteFile(filepath.Join(badmod, "go.mod"), []byte("module example.com/bad\n\ngo 1.26\nrequire (\n"), 0o644)
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	// A registry that accepts connections and never answers.
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()

	cases := []struct {
		name string
		dir  string
		args []string
		want []string // all must appear in stderr
		fast bool     // must fail within seconds
	}{
		{"no go.mod", empty, []string{"-o", "oci:" + filepath.Join(empty, "out")}, []string{"no supported project found", "go.mod"}, false},
		{"no main package", lib, []string{"-o", registry + "/bad/nomain:x"}, []string{"no main package"}, false},
		{"compile error", broken, []string{"-o", registry + "/bad/compile:x"}, []string{"undefined: mesage", "go build", "failed"}, false},
		// The base's pull hangs: the compiler's error comes at once anyway.
		{"compile error, base registry never answers", broken, []string{"-o", registry + "/bad/compilehung:x", "--from", hung.Addr().String() + "/base:1", "--registry-timeout", "10m"}, []string{"undefined: mesage", "go build", "failed"}, true},
		{"malformed go.mod", badmod, []string{"-o", registry + "/bad/gomod:x"}, []string{"go.mod:4"}, false},
		{"unreachable registry", good, []string{"-o", "127.0.0.1:1/bad/unreachable:x"}, []string{"127.0.0.1:1", "connection refused"}, true},
		{"malformed reference", good, []string{"-o", "Not A Reference!"}, []string{"not a valid image reference"}, true},
		{"unwritable tarball", good, []string{"-o", "tar:" + filepath.Join(file, "image.tar")}, []string{"writing tarball", "not a directory"}, false},
		{"unwritable layout", good, []string{"-o", "oci:" + filepath.Join(file, "layout")}, []string{"OCI layout", "not a directory"}, false},
		{"unwritable digest file", good, []string{"-o", registry + "/bad/digestfile:x", "--digest-file", filepath.Join(file, "digest")}, []string{"cannot write", "not a directory"}, true},
		{"bad platform", good, []string{"-o", registry + "/bad/platform:x", "--platform", "linux"}, []string{"--platform"}, true},
		{"unknown base", good, []string{"-o", registry + "/bad/base:x", "--from", "builtin:nope"}, []string{"builtin:static"}, true},
	}
	env := cacheEnv(t)
	// Warm the Go build cache so "fast" measures langbuild, not the compiler.
	mustBuild(t, good, env, "build", "--from", "builtin:static", "-o", "oci:"+filepath.Join(t.TempDir(), "warm"), "-q")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"build", "--from", "builtin:static"}, tc.args...)
			r := lb(t, tc.dir, env, args...)
			if r.code == 0 {
				t.Fatalf("exit 0; stdout %q", r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace in stderr:\n%s", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("failed build printed a result: %q", r.stdout)
			}
			if tc.fast && r.elapsed > 10*time.Second {
				t.Errorf("took %s to fail", r.elapsed)
			}
		})
	}
	// None of the failed builds left anything in the registry.
	resp, err := http.Get("http://" + direct + "/v2/_catalog")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cat struct{ Repositories []string }
	json.NewDecoder(resp.Body).Decode(&cat)
	for _, r := range cat.Repositories {
		if strings.HasPrefix(r, "bad/") {
			t.Errorf("failed build left repository %s in the registry", r)
		}
	}
}
