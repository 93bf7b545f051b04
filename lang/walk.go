package lang

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/langbuild/langbuild/layering"
)

// Links says what a walk of the project does with symlinks.
type Links struct {
	// Root is the project's root: no symlink is ever followed outside it.
	Root string
	// Follow copies what a symlink that leaves the copied directory points
	// to (a file, or a directory's files), when it is inside Root. Without
	// it such a link goes into the image as a link, never read through.
	Follow bool

	open map[string]bool // directories being copied through links, to find loops
}

// Entries turns one thing met while walking src (copied to dst in the image)
// into image entries: a directory, a regular file, or a symlink. A symlink
// that stays inside src is kept as a link, since it resolves the same way in
// the image. One that leaves src is kept as a link too, unless l.Follow is
// set: then its target is copied, and a target outside l.Root is refused.
// Device files, pipes and sockets are refused: they have no place in an
// image and reading a pipe would hang the build.
func (l Links) Entries(src, p, dst string, d fs.DirEntry) ([]layering.Entry, error) {
	switch t := d.Type(); {
	case t&fs.ModeSymlink != 0:
		return l.link(src, p, dst)
	case t.IsDir():
		return []layering.Entry{{Path: dst, Type: layering.TypeDir}}, nil
	case t.IsRegular():
		return []layering.Entry{{Path: dst, Type: layering.TypeFile, Source: p}}, nil
	default:
		return nil, Special(p, t)
	}
}

// Special is the error for a file that is neither regular, a directory nor a symlink.
func Special(p string, t fs.FileMode) error {
	kind := "special file"
	switch {
	case t&fs.ModeDevice != 0:
		kind = "device file"
	case t&fs.ModeNamedPipe != 0:
		kind = "named pipe"
	case t&fs.ModeSocket != 0:
		kind = "socket"
	}
	return fmt.Errorf("%s is a %s: images get only regular files, directories and symlinks; remove it or exclude it", p, kind)
}

func (l Links) link(src, p, dst string) ([]layering.Entry, error) {
	target, err := os.Readlink(p)
	if err != nil {
		return nil, err
	}
	keep := []layering.Entry{{Path: dst, Type: layering.TypeSymlink, Linkname: target}}
	if !filepath.IsAbs(target) && Within(filepath.Join(filepath.Dir(p), target), src) {
		return keep, nil
	}
	if !l.Follow {
		return keep, nil
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("%s: broken symlink to %s", p, target)
	}
	root, err := filepath.EvalSymlinks(l.Root)
	if err != nil {
		return nil, err
	}
	if !Within(resolved, root) {
		return nil, fmt.Errorf("%s: symlink to %s leaves the project %s; langbuild never reads outside it: copy the file in instead", p, target, l.Root)
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.Mode().IsRegular():
		return []layering.Entry{{Path: dst, Type: layering.TypeFile, Source: resolved}}, nil
	case fi.IsDir():
		return l.followDir(resolved, dst, p)
	default:
		return nil, Special(resolved, fi.Mode().Type())
	}
}

// followDir copies a directory reached through a symlink. Links inside it
// are followed again (within Root); a link back to a directory being copied
// would loop and is refused.
func (l Links) followDir(dir, dst, via string) ([]layering.Entry, error) {
	es := []layering.Entry{{Path: dst, Type: layering.TypeDir}}
	if l.open == nil {
		l.open = map[string]bool{}
	}
	open := l.open
	if open[dir] {
		return nil, fmt.Errorf("%s: symlink loop", via)
	}
	open[dir] = true
	defer delete(open, dir)
	var walk func(dir, dst string) error
	walk = func(dir, dst string) error {
		ds, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, d := range ds {
			p, to := filepath.Join(dir, d.Name()), path.Join(dst, d.Name())
			sub, err := l.Entries(dir, p, to, d)
			if err != nil {
				return err
			}
			es = append(es, sub...)
			if d.IsDir() {
				open[p] = true
				if err := walk(p, to); err != nil {
					return err
				}
				delete(open, p)
			}
		}
		return nil
	}
	if err := walk(dir, dst); err != nil {
		return nil, err
	}
	return es, nil
}

// Within reports whether p is dir or below it (both cleaned, no symlinks resolved).
func Within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
