package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/langbuild/langbuild/layering"
)

// The live view must not deadlock: mpb's renderer calls the status
// decorators while events arrive from the layer builders' goroutines.
func TestLiveViewRendersWithoutDeadlock(t *testing.T) {
	var out bytes.Buffer
	v := newLiveView(&out)
	v.p = mpb.New(mpb.WithOutput(&out), mpb.WithAutoRefresh(), mpb.WithRefreshRate(time.Millisecond), mpb.WithWidth(80))
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := "layer " + string(rune('a'+i))
				for j := 0; j < 50; j++ {
					v.layer(layering.Event{Layer: name, Phase: "hashed"})
					v.sent(10)
				}
				v.layer(layering.Event{Layer: name, Phase: "compressed", Bytes: 2048, Elapsed: time.Millisecond})
			}()
		}
		wg.Wait()
		v.finish()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the live view deadlocked")
	}
	if !strings.Contains(out.String(), "built, 2.0 KiB") || !strings.Contains(out.String(), "3.9 KiB sent") {
		t.Errorf("rendered:\n%s", out.String())
	}
}
