package pipeline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

// record is a log of what steps did, safe for concurrent use.
type record struct {
	mu  sync.Mutex
	log []string
}

func (r *record) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

func (r *record) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

// TestRunStepsOrder: a step starts only after the steps it comes after
// have finished, and steps that need nothing of each other run at once
// (each of a and b waits for the other to have started).
func TestRunStepsOrder(t *testing.T) {
	var r record
	aStarted, bStarted := make(chan struct{}), make(chan struct{})
	err := runSteps(context.Background(), []step{
		{name: "a", run: func(context.Context) error {
			close(aStarted)
			<-bStarted
			r.add("a")
			return nil
		}},
		{name: "b", run: func(context.Context) error {
			close(bStarted)
			<-aStarted
			r.add("b")
			return nil
		}},
		{name: "c", after: []string{"a", "b"}, run: func(context.Context) error { r.add("c"); return nil }},
		{name: "d", after: []string{"c"}, run: func(context.Context) error { r.add("d"); return nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := r.get()
	if len(got) != 4 || !slices.Equal(got[2:], []string{"c", "d"}) {
		t.Errorf("ran %v, want a and b in any order, then c, d", got)
	}
}

// TestRunStepsFirstErrorCancels: the first failure ends the steps still
// running (through their context), keeps those after it from starting,
// and is the error returned, not the cancellation the others report.
func TestRunStepsFirstErrorCancels(t *testing.T) {
	var r record
	compileErr := errors.New("syntax error")
	err := runSteps(context.Background(), []step{
		{name: "pull", run: func(ctx context.Context) error {
			<-ctx.Done() // a registry that never answers
			r.add("pull cancelled")
			return ctx.Err()
		}},
		{name: "compile", run: func(context.Context) error { return compileErr }},
		{name: "layers", after: []string{"compile"}, run: func(context.Context) error { r.add("layers"); return nil }},
		{name: "publish", after: []string{"pull", "layers"}, run: func(context.Context) error { r.add("publish"); return nil }},
	})
	if err != compileErr {
		t.Errorf("error %v, want the compile error", err)
	}
	if got := r.get(); !slices.Equal(got, []string{"pull cancelled"}) {
		t.Errorf("ran %v, want only the pull, cancelled", got)
	}
}

// TestRunStepsErrorChoice: of two failures, the one that came first is
// reported, whatever the order of the steps.
func TestRunStepsErrorChoice(t *testing.T) {
	first, second := errors.New("first"), errors.New("second")
	firstDone := make(chan struct{})
	err := runSteps(context.Background(), []step{
		{name: "late", run: func(ctx context.Context) error {
			<-firstDone
			return second
		}},
		{name: "early", run: func(context.Context) error {
			defer close(firstDone)
			return first
		}},
	})
	if err != first {
		t.Errorf("error %v, want %v", err, first)
	}
}

// TestRunStepsCallerCancels: a context the caller ends stops the steps, and
// its error is returned.
func TestRunStepsCallerCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var r record
	err := runSteps(ctx, []step{
		{name: "a", run: func(ctx context.Context) error {
			cancel()
			<-ctx.Done()
			return nil // a step that ends quietly when cancelled
		}},
		{name: "b", after: []string{"a"}, run: func(context.Context) error { r.add("b"); return nil }},
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if len(r.get()) != 0 {
		t.Errorf("ran %v after the cancel", r.get())
	}
}

func TestRunStepsBadGraph(t *testing.T) {
	nop := func(context.Context) error { return nil }
	for _, tc := range []struct {
		steps []step
		want  string
	}{
		{[]step{{name: "a", after: []string{"b"}, run: nop}, {name: "b", run: nop}}, `step "a" comes after "b", which is not before it`},
		{[]step{{name: "a", run: nop}, {name: "a", run: nop}}, `two steps named "a"`},
	} {
		if err := runSteps(context.Background(), tc.steps); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
