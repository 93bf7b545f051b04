// Package devloop runs the edit → push loop: a build, then another after
// each burst of changes to the project's inputs settles.
package devloop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options for Run.
type Options struct {
	// Dir is the project directory, watched recursively.
	Dir string
	// Skip reports paths (relative, slash-separated) whose changes do not
	// matter: .git, node_modules below the top, build directories...
	Skip func(rel string, isDir bool) bool
	// Debounce is how long changes must stop before a build (default 200 ms).
	Debounce time.Duration
	// Changed, when set, is told about each change that will cause a build.
	Changed func(rel string)
}

// Run builds once, then watches Dir and builds again after each burst of
// changes settles, until ctx ends. A change during a build causes one more
// build after it. Build errors are the build function's to report; Run only
// returns for a failure to watch, or nil when ctx ends.
func Run(ctx context.Context, opts Options, build func(ctx context.Context) error) error {
	if opts.Debounce <= 0 {
		opts.Debounce = 200 * time.Millisecond
	}
	if opts.Skip == nil {
		opts.Skip = func(string, bool) bool { return false }
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", opts.Dir, err)
	}
	defer func() {
		// Close waits for fsnotify's reader, which may be blocked handing us
		// an event: drain the channels so it can finish.
		go func() {
			for range w.Events {
			}
		}()
		go func() {
			for range w.Errors {
			}
		}()
		w.Close()
	}()
	if err := addTree(w, opts.Dir, opts.Dir, opts.Skip); err != nil {
		return err
	}

	build(ctx)
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			return fmt.Errorf("watching %s: %w", opts.Dir, err)
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			rel, err := filepath.Rel(opts.Dir, ev.Name)
			if err != nil {
				continue
			}
			rel = filepath.ToSlash(rel)
			fi, statErr := os.Lstat(ev.Name)
			isDir := statErr == nil && fi.IsDir()
			if opts.Skip(rel, isDir) {
				continue
			}
			if isDir && ev.Has(fsnotify.Create) {
				addTree(w, opts.Dir, ev.Name, opts.Skip)
			}
			if opts.Changed != nil {
				opts.Changed(rel)
			}
			timer = time.After(opts.Debounce)
		case <-timer:
			timer = nil
			build(ctx)
			// Changes made during the build left events queued; they start
			// the debounce again through the loop.
		}
	}
}

// addTree watches dir and every directory below it that is not skipped.
func addTree(w *fsnotify.Watcher, root, dir string, skip func(string, bool) bool) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if rel != "." && skip(filepath.ToSlash(rel), true) {
			return filepath.SkipDir
		}
		if err := w.Add(p); err != nil {
			return fmt.Errorf("watching %s: %w", p, err)
		}
		return nil
	})
}
