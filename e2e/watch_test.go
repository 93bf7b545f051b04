package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// watcher is a running `langbuild watch`.
type watcher struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan error
}

func startWatch(t *testing.T, dir string, env []string, args ...string) *watcher {
	t.Helper()
	cmd := exec.Command(langbuild, append([]string{"watch"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logf, _ := os.Create(filepath.Join(t.TempDir(), "watch.log"))
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &watcher{cmd: cmd, lines: make(chan string, 100), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		w.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("watch stderr:\n%s", b)
		}
	})
	return w
}

// push waits for the next "pushed" line.
func (w *watcher) push(t *testing.T, within time.Duration) string {
	t.Helper()
	select {
	case l := <-w.lines:
		if !strings.HasPrefix(l, "pushed ") {
			t.Fatalf("watch printed %q", l)
		}
		return l
	case <-time.After(within):
		t.Fatalf("no push within %s", within)
	}
	return ""
}

// quiet asserts no push comes within d, and returns how many did.
func (w *watcher) count(d time.Duration) int {
	n := 0
	deadline := time.After(d)
	for {
		select {
		case <-w.lines:
			n++
		case <-deadline:
			return n
		}
	}
}

func (w *watcher) interrupt(t *testing.T) {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-w.done:
		if err != nil {
			t.Errorf("watch exited with %v after SIGINT, want 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not stop within 20 s of SIGINT")
	}
}

func checkUploaded(t *testing.T, ref string, want []string) {
	t.Helper()
	if up := uploadedNames(t, ref); !slices.Equal(up, want) {
		t.Errorf("uploaded layers %v, want %v", up, want)
	}
}

// TestWatchGo: a change to main.go pushes only the binary layer; a burst of
// 50 saves gives one or two builds; SIGINT, even during a build, exits 0 and
// leaves the tag on a complete image.
func TestWatchGo(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	ref := registry + "/watch/go:dev"
	w := startWatch(t, dir, cacheEnv(t), "--from", "builtin:static", "-o", ref)
	w.push(t, 2*time.Minute)
	counter.reset()
	edit(t, filepath.Join(dir, "main.go"), `"hello from gohello"`, `"hello from a watched gohello"`)
	w.push(t, time.Minute)
	checkUploaded(t, ref, []string{"go binary, at /app/gohello"})

	main := filepath.Join(dir, "main.go")
	for i := 0; i < 50; i++ {
		f, _ := os.OpenFile(main, os.O_APPEND|os.O_WRONLY, 0)
		fmt.Fprintf(f, "// save %d\n", i)
		f.Close()
		time.Sleep(5 * time.Millisecond)
	}
	if n := w.count(5 * time.Second); n < 1 || n > 2 {
		t.Errorf("a burst of 50 saves gave %d builds, want 1 or 2", n)
	}

	// Interrupt during a build.
	edit(t, main, "hello from a watched gohello", "hello, interrupted")
	time.Sleep(250 * time.Millisecond)
	w.interrupt(t)
	if out := tool(t, "crane", "validate", "--remote", ref); !strings.Contains(out, "PASS") {
		t.Errorf("after SIGINT the tag names an image that does not validate: %s", out)
	}
}

// TestWatchJava: recompiling a class pushes only the classes layer.
func TestWatchJava(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "javahello")
	mvn(t, dir, "compile")
	ref := registry + "/watch/java:dev"
	w := startWatch(t, dir, sharedDebianEnv(t), "--from", "debian:java17", "-o", ref, "--debounce", "500ms")
	w.push(t, 2*time.Minute)
	counter.reset()
	edit(t, filepath.Join(dir, "src/main/java/dev/langbuild/hello/Main.java"), `"hello from javahello"`, `"hello from a watched javahello"`)
	mvn(t, dir, "compile")
	w.push(t, time.Minute)
	if n := w.count(2 * time.Second); n > 1 {
		t.Errorf("one compile gave %d more builds", n)
	}
	checkUploaded(t, ref, []string{"classes"})
	w.interrupt(t)
}

// TestWatchNode: an app file change pushes only the application layer.
func TestWatchNode(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "nodeexpress")
	npm(t, dir, "ci")
	ref := registry + "/watch/node:dev"
	w := startWatch(t, dir, sharedDebianEnv(t), "--from", "debian:nodejs", "-o", ref, "--exec", "echo exec saw $LANGBUILD_DIGEST > "+filepath.Join(dir, "..", "exec.txt"))
	w.push(t, 2*time.Minute)
	counter.reset()
	edit(t, filepath.Join(dir, "lib/greeting.js"), "hello from express", "hello from a watched express")
	l := w.push(t, time.Minute)
	checkUploaded(t, ref, []string{"application"})
	b, _ := os.ReadFile(filepath.Join(dir, "..", "exec.txt"))
	at := strings.LastIndex(l, "@")
	d := strings.TrimSuffix(strings.Fields(l[at+1:])[0], ":")
	if !strings.Contains(string(b), d) {
		t.Errorf("--exec saw %q, push line %q", b, l)
	}
	w.interrupt(t)
}
