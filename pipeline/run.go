package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// step is one part of a build, run by runSteps once the steps it comes
// after have succeeded.
type step struct {
	name  string
	after []string
	run   func(ctx context.Context) error
	// took is set to how long run took, when it ran.
	took *time.Duration
}

// runSteps runs steps under one context: each as soon as every step it
// comes after has succeeded, the independent ones at the same time. The
// first step to fail cancels the context of the others, its error is the
// one returned, and the steps that were waiting for it never start. It
// returns once every step that started has returned, so steps must stop
// when their context ends. A step may only come after steps listed before
// it, so there can be no cycle.
func runSteps(ctx context.Context, steps []step) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(map[string]chan struct{}, len(steps))
	ok := make(map[string]*bool, len(steps))
	for _, s := range steps {
		for _, a := range s.after {
			if done[a] == nil {
				return fmt.Errorf("pipeline: step %q comes after %q, which is not before it", s.name, a)
			}
		}
		if done[s.name] != nil {
			return fmt.Errorf("pipeline: two steps named %q", s.name)
		}
		done[s.name] = make(chan struct{})
		ok[s.name] = new(bool)
	}

	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel(err)
		}
	}
	for _, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[s.name])
			for _, a := range s.after {
				select {
				case <-done[a]:
				case <-ctx.Done():
					return
				}
				if !*ok[a] {
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			start := time.Now()
			err := s.run(ctx)
			if s.took != nil {
				*s.took = time.Since(start)
			}
			if err != nil {
				fail(err)
				return
			}
			*ok[s.name] = true
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	// No step failed, but the caller's context ended before all ran.
	return ctx.Err()
}
