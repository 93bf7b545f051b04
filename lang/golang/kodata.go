package golang

import (
	"fmt"
	"github.com/langbuild/langbuild/lang"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/langbuild/langbuild/layering"
)

// kodata lists the files under dir (ko's static-asset convention) as entries
// below DataPath. A missing dir gives no entries.
//
// A symlink that stays inside dir is kept as a symlink (it resolves the same
// way in the image). One that leaves dir but stays inside the module root is
// followed and its file copied, as ko does, since its target would not exist
// in the image. One that leaves the module is refused.
func kodata(dir, root string) ([]layering.Entry, error) {
	if _, err := os.Lstat(dir); os.IsNotExist(err) {
		return nil, nil
	}
	var es []layering.Entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		dst := path.Join(DataPath, filepath.ToSlash(rel))
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			e, err := kodataLink(p, dst, dir, root)
			if err != nil {
				return err
			}
			es = append(es, e)
		case d.IsDir():
			es = append(es, layering.Entry{Path: dst, Type: layering.TypeDir})
		case d.Type().IsRegular():
			es = append(es, layering.Entry{Path: dst, Type: layering.TypeFile, Source: p})
		default:
			return fmt.Errorf("%s: unsupported file type %s in kodata", p, d.Type())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	return es, nil
}

func kodataLink(p, dst, dir, root string) (layering.Entry, error) {
	target, err := os.Readlink(p)
	if err != nil {
		return layering.Entry{}, err
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return layering.Entry{}, fmt.Errorf("%s: broken symlink to %s", p, target)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return layering.Entry{}, err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return layering.Entry{}, err
	}
	if !filepath.IsAbs(target) && lang.Within(resolved, realDir) {
		return layering.Entry{Path: dst, Type: layering.TypeSymlink, Linkname: target}, nil
	}
	if !lang.Within(resolved, realRoot) {
		return layering.Entry{}, fmt.Errorf("%s: symlink to %s leaves the module; copy the file into kodata instead", p, target)
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return layering.Entry{}, err
	}
	if !fi.Mode().IsRegular() {
		return layering.Entry{}, fmt.Errorf("%s: symlink to %s, which is not a regular file", p, target)
	}
	return layering.Entry{Path: dst, Type: layering.TypeFile, Source: resolved}, nil
}
