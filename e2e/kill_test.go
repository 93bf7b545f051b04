package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledAtEachPhase SIGKILLs pushes of a project with a 24 MB layer at
// chosen points — while layers are hashed, while the big one compresses,
// in the middle of its upload — and at random times, then checks that the
// cache verifies, that the tag names nothing or a complete image, and that
// the next build pushes an image that validates and runs.
func TestKilledAtEachPhase(t *testing.T) {
	needE2E(t)
	dir := copyProject(t, "gohello")
	env := cacheEnv(t)
	ref := direct + "/killed:x"
	big := filepath.Join(dir, "kodata", "big.bin")
	seed := uint64(time.Now().UnixNano())
	rng := mrand.New(mrand.NewPCG(seed, 1))
	t.Logf("random kill times from seed %d", seed)
	type round struct {
		name  string
		when  func(e map[string]any) bool // kill on the first event it accepts
		delay time.Duration               // or after this long
	}
	rounds := []round{
		{name: "first layer hashed", when: func(e map[string]any) bool { return e["phase"] == "hashed" }},
		{name: "big layer compressing", when: func(e map[string]any) bool {
			return e["phase"] == "hashed" && strings.Contains(fmt.Sprint(e["layer"]), "kodata")
		}},
		{name: "mid-upload of the big layer", when: func(e map[string]any) bool {
			n, _ := e["bytes"].(float64)
			return e["phase"] == "upload" && n > 1<<20
		}},
	}
	for range 3 {
		rounds = append(rounds, round{name: "random", delay: time.Duration(rng.IntN(1500)) * time.Millisecond})
	}
	for i, rd := range rounds {
		// New content each round, so there is a layer to write and push when the kill comes.
		edit(t, filepath.Join(dir, "main.go"), `var message = "`, fmt.Sprintf(`var message = "%d `, i))
		b := make([]byte, 24<<20)
		rand.Read(b)
		if err := os.WriteFile(big, b, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(langbuild, "build", "--from", "builtin:static", "-o", ref, "--json")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		killed := make(chan string, 1)
		if rd.when == nil {
			time.AfterFunc(rd.delay, func() { cmd.Process.Signal(syscall.SIGKILL); killed <- fmt.Sprintf("after %s", rd.delay) })
		}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var e map[string]any
			if json.Unmarshal(sc.Bytes(), &e) == nil && rd.when != nil && rd.when(e) {
				cmd.Process.Signal(syscall.SIGKILL)
				killed <- fmt.Sprintf("at %s after %s", sc.Text(), time.Since(start).Round(time.Millisecond))
				rd.when = func(map[string]any) bool { return false }
			}
		}
		err := cmd.Wait()
		select {
		case how := <-killed:
			t.Logf("%s: killed %s (%v)", rd.name, how, err)
		default:
			t.Logf("%s: the build ended before the kill (%v)", rd.name, err)
		}
		verifyCache(t, dir, env)
		noBrokenTag(t, ref)
	}
	d := mustBuild(t, dir, env, "build", "--from", "builtin:static", "-o", ref, "-q")
	verifyCache(t, dir, env)
	if out := tool(t, "crane", "validate", "--remote", direct+"/killed@"+d); !strings.Contains(out, "PASS") {
		t.Errorf("crane validate after the kills: %s", out)
	}
	if out := runImage(t, direct+"/killed@"+d); !strings.Contains(out, fmt.Sprintf("%d ", len(rounds)-1)) {
		t.Errorf("the image after the kills printed %q", out)
	}
}
