package devloop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunDebouncesAndStops(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "skipped"), 0o755)
	var builds atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{
			Dir:      dir,
			Debounce: 100 * time.Millisecond,
			Skip:     func(rel string, _ bool) bool { return strings.HasPrefix(rel, "skipped") },
		}, func(context.Context) error { builds.Add(1); return nil })
	}()
	waitFor := func(n int32) {
		t.Helper()
		for i := 0; i < 100 && builds.Load() < n; i++ {
			time.Sleep(20 * time.Millisecond)
		}
		if builds.Load() < n {
			t.Fatalf("%d builds, want %d", builds.Load(), n)
		}
	}
	waitFor(1) // the first build
	for i := 0; i < 30; i++ {
		os.WriteFile(filepath.Join(dir, "f.txt"), []byte{byte(i)}, 0o644)
		time.Sleep(2 * time.Millisecond)
	}
	waitFor(2)
	time.Sleep(300 * time.Millisecond)
	if n := builds.Load(); n != 2 {
		t.Errorf("a burst of 30 writes gave %d builds after the first, want 1", n-1)
	}
	// A change in a skipped directory builds nothing; a new directory is watched.
	os.WriteFile(filepath.Join(dir, "skipped", "x"), nil, 0o644)
	time.Sleep(300 * time.Millisecond)
	if n := builds.Load(); n != 2 {
		t.Errorf("a skipped change caused a build")
	}
	os.MkdirAll(filepath.Join(dir, "new"), 0o755)
	time.Sleep(250 * time.Millisecond)
	os.WriteFile(filepath.Join(dir, "new", "y"), nil, 0o644)
	waitFor(4) // the new directory, then the file in it
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}
