package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/langbuild/langbuild/layering"
)

// liveView draws, on a terminal, a line per layer (hashing, unchanged or
// built with its size) and a line for the push with the bytes sent so far.
// The libraries only report events; this is the one place that renders them.
type liveView struct {
	p *mpb.Progress
	// mu guards bars and push; it is never held while calling mpb, whose
	// renderer calls back into the decorators, which take smu.
	mu       sync.Mutex
	bars     map[string]*mpb.Bar
	push     *mpb.Bar
	smu      sync.Mutex
	status   map[string]string
	uploaded atomic.Int64
}

// isTerminal reports whether w is a terminal (not a pipe, file or CI log).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == ""
}

func newLiveView(w io.Writer) *liveView {
	v := &liveView{
		p:      mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(100*time.Millisecond), mpb.WithWidth(24)),
		bars:   map[string]*mpb.Bar{},
		status: map[string]string{},
	}
	return v
}

func (v *liveView) setStatus(name, s string) {
	v.smu.Lock()
	v.status[name] = s
	v.smu.Unlock()
}

func (v *liveView) bar(name string) *mpb.Bar {
	v.mu.Lock()
	b, ok := v.bars[name]
	v.mu.Unlock()
	if ok {
		return b
	}
	v.setStatus(name, "hashing")
	b = v.p.AddSpinner(1,
		mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			v.smu.Lock()
			defer v.smu.Unlock()
			return v.status[name]
		})),
		mpb.BarFillerOnComplete("✓"),
	)
	v.mu.Lock()
	v.bars[name] = b
	v.mu.Unlock()
	return b
}

// layer renders a layering event.
func (v *liveView) layer(e layering.Event) {
	b := v.bar(e.Layer)
	switch e.Phase {
	case "hashed":
		v.setStatus(e.Layer, "compressing")
	case "cached":
		v.setStatus(e.Layer, "unchanged, "+size(e.Bytes))
		b.SetCurrent(1)
	case "compressed":
		v.setStatus(e.Layer, fmt.Sprintf("built, %s in %s", size(e.Bytes), e.Elapsed.Round(time.Millisecond)))
		b.SetCurrent(1)
	}
}

// sent renders upload progress.
func (v *liveView) sent(n int64) {
	v.uploaded.Add(n)
	v.mu.Lock()
	started := v.push != nil
	v.mu.Unlock()
	if started {
		return
	}
	b := v.p.AddSpinner(0,
		mpb.PrependDecorators(decor.Name("push", decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return size(v.uploaded.Load()) + " sent" })),
	)
	v.mu.Lock()
	if v.push == nil {
		v.push = b
	} else {
		b.Abort(true)
	}
	v.mu.Unlock()
}

// finish completes every line and waits for the last frame.
func (v *liveView) finish() {
	v.mu.Lock()
	bars := make([]*mpb.Bar, 0, len(v.bars))
	for _, b := range v.bars {
		bars = append(bars, b)
	}
	push := v.push
	v.mu.Unlock()
	for _, b := range bars {
		b.SetCurrent(1)
	}
	if push != nil {
		push.SetTotal(-1, true)
	}
	v.p.Wait()
}

// jsonEvents writes progress for machines, one JSON object a line:
// {"layer":"binary","phase":"compressed","bytes":123,"ms":4.2} for layers and
// {"phase":"upload","bytes":N} for the bytes sent so far (on the first bytes,
// then at most once a MiB).
type jsonEvents struct {
	mu       sync.Mutex
	w        io.Writer
	total    int64
	reported int64
}

type jsonEvent struct {
	Layer string  `json:"layer,omitempty"`
	Phase string  `json:"phase"`
	Bytes int64   `json:"bytes,omitempty"`
	MS    float64 `json:"ms,omitempty"`
}

func (j *jsonEvents) write(e jsonEvent) {
	b, _ := json.Marshal(e)
	j.w.Write(append(b, '\n'))
}

func (j *jsonEvents) layer(e layering.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.write(jsonEvent{Layer: e.Layer, Phase: e.Phase, Bytes: e.Bytes, MS: float64(e.Elapsed.Microseconds()) / 1000})
}

func (j *jsonEvents) uploaded(n int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.total += n
	if j.reported == 0 || j.total-j.reported >= 1<<20 {
		j.reported = j.total
		j.write(jsonEvent{Phase: "upload", Bytes: j.total})
	}
}
