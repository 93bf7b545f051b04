package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// hostileProject writes a Node app whose data/ holds what tries to escape or
// confuse a builder: a name that is not UTF-8, a 1,500-byte path, a hard
// link, an absolute symlink to /etc/passwd and a relative one out of the
// project to a secret next to it.
func hostileProject(t *testing.T, parent string) string {
	t.Helper()
	dir := filepath.Join(parent, "hostile")
	data := filepath.Join(dir, "data")
	long := filepath.Join(data, strings.Repeat("d", 200), strings.Repeat("e", 200), strings.Repeat("f", 200),
		strings.Repeat("g", 200), strings.Repeat("h", 200), strings.Repeat("i", 200))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(parent, "secret.txt"), "TOPSECRET-7d1c\n")
	write(filepath.Join(dir, "package.json"), `{"name":"hostile","version":"1.0.0","main":"index.js"}`)
	write(filepath.Join(dir, "package-lock.json"), `{"name":"hostile","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"hostile","version":"1.0.0"}}}`)
	write(filepath.Join(dir, "index.js"), `const fs = require('fs');
const names = fs.readdirSync('/app/data', {encoding: 'buffer'}).map(b => b.toString('hex')).sort();
console.log('names ' + names.join(','));
console.log('hard ' + fs.readFileSync('/app/data/hard.txt', 'utf8').trim());
console.log('long ' + fs.readFileSync('/app/data/`+strings.TrimPrefix(long, data+"/")+`/long.txt', 'utf8').trim());
console.log('passwd -> ' + fs.readlinkSync('/app/data/passwd'));
console.log('escape -> ' + fs.readlinkSync('/app/data/escape'));
`)
	write(filepath.Join(data, "orig.txt"), "hard-linked content\n")
	if err := os.Link(filepath.Join(data, "orig.txt"), filepath.Join(data, "hard.txt")); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(data, "latin1-\xe9t\xe9.txt"), "not UTF-8\n")
	write(filepath.Join(long, "long.txt"), "deep\n")
	os.Symlink("/etc/passwd", filepath.Join(data, "passwd"))
	os.Symlink("../../secret.txt", filepath.Join(data, "escape"))
	return dir
}

// TestHostileProjectFiles builds a project full of traps: the image holds
// each name byte for byte, the links as links (never the secret they point
// at), nothing outside its root, and the same digest from another
// directory; following the links out of the project, a named pipe and a file
// that changes while it is read all fail with a clear line, never a hang or
// a broken cache.
func TestHostileProjectFiles(t *testing.T) {
	needE2E(t)
	env := sharedDebianEnv(t)
	dir := hostileProject(t, t.TempDir())
	ref := registry + "/hostile:e2e"
	d := mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", ref, "-q")
	if out := tool(t, "crane", "validate", "--remote", registry+"/hostile@"+d); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate: %s", out)
	}
	exported := filepath.Join(t.TempDir(), "fs.tar")
	tool(t, "crane", "export", ref, exported)
	if b, _ := os.ReadFile(exported); bytes.Contains(b, []byte("TOPSECRET")) {
		t.Error("the secret outside the project is in the image")
	}
	for _, f := range strings.Split(tool(t, "tar", "-tf", exported), "\n") {
		if strings.HasPrefix(f, "/") || f == ".." || strings.HasPrefix(f, "../") || strings.Contains(f, "/../") {
			t.Errorf("entry %q leaves the image root", f)
		}
	}
	out := runImage(t, registry+"/hostile@"+d)
	for _, want := range []string{
		"6c6174696e312de974e92e747874", // latin1-\xe9t\xe9.txt, byte for byte
		"hard hard-linked content", "long deep", "passwd -> /etc/passwd", "escape -> ../../secret.txt",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the image's program lacks %q:\n%s", want, out)
		}
	}

	// Another directory (links and the hard link copied as they are): same digest.
	other := filepath.Join(t.TempDir(), "copy")
	os.MkdirAll(other, 0o755)
	tool(t, "cp", "-a", dir, filepath.Join(other, "hostile"))
	os.WriteFile(filepath.Join(other, "secret.txt"), []byte("another secret\n"), 0o644)
	if d2 := mustBuild(t, filepath.Join(other, "hostile"), env, "build", "--from", "debian:nodejs", "-o", "oci:"+t.TempDir()+"/l", "-q"); d2 != d {
		t.Errorf("another directory gave %s, want %s", d2, d)
	}

	fails := func(want string, args ...string) {
		t.Helper()
		r := lb(t, dir, env, append([]string{"build", "--from", "debian:nodejs", "-o", ref, "-q"}, args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "goroutine ") {
			t.Errorf("want a failure naming %q, got exit %d:\n%s", want, r.code, r.stderr)
		}
		if r.elapsed > time.Minute {
			t.Errorf("took %s", r.elapsed)
		}
		if got := strings.TrimSpace(tool(t, "crane", "digest", ref)); got != d {
			t.Errorf("the failed build moved the tag to %s", got)
		}
	}
	// Asked to follow links: the one out of the project is refused, by name.
	fails("data/escape: symlink to ../../secret.txt leaves the project", "--follow-symlinks")
	// A named pipe: refused by name, never read (reading would hang).
	pipe := filepath.Join(dir, "data", "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	fails(pipe + " is a named pipe")
	os.Remove(pipe)

	// A 64 MB file rewritten while the build reads it: the build either
	// snapshots it consistently or fails saying so; the cache stays sound.
	big := filepath.Join(dir, "data", "big.bin")
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	f, _ := os.Create(big)
	for range 64 {
		f.Write(chunk)
	}
	f.Close()
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, _ := os.OpenFile(big, os.O_WRONLY, 0)
		defer f.Close()
		for i := 0; !stop.Load(); i++ {
			f.WriteAt([]byte{byte(i)}, int64(i*7919)%(64<<20))
			if i%64 == 0 {
				f.Write(chunk[:4096]) // and it grows
			}
		}
	}()
	var changed, built int
	for range 3 {
		r := lb(t, dir, env, "build", "--from", "debian:nodejs", "-o", "oci:"+t.TempDir()+"/l", "-q")
		switch {
		case r.code == 0:
			built++
		case strings.Contains(r.stderr, "changed while the layer was being written; build again"):
			changed++
		default:
			t.Errorf("exit %d:\n%s", r.code, r.stderr)
		}
	}
	stop.Store(true)
	<-done
	t.Logf("while the file changed: %d builds failed saying so, %d snapshotted it", changed, built)
	if r := lb(t, dir, env, "cache", "verify"); r.code != 0 {
		t.Errorf("cache verify after the changing file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want, _ := exec.Command("sha256sum", big).Output()
	layout := t.TempDir() + "/l"
	mustBuild(t, dir, env, "build", "--from", "debian:nodejs", "-o", "oci:"+layout+":x", "-q")
	got := runLayoutArgs(t, layout, "x", nil, "/usr/bin/node", "-e",
		`console.log(require('crypto').createHash('sha256').update(require('fs').readFileSync('/app/data/big.bin')).digest('hex'))`)
	if !strings.HasPrefix(got, strings.Fields(string(want))[0]) {
		t.Errorf("the image's big.bin is %s, the file's %s", got, want)
	}
}
