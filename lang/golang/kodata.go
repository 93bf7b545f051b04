package golang

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/langbuild/langbuild/layering"
)

// kodata lists the files under dir (ko's static-asset convention) as entries
// below DataPath. Symlinks are kept as symlinks. A missing dir gives no entries.
func kodata(dir string) ([]layering.Entry, error) {
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
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			es = append(es, layering.Entry{Path: dst, Type: layering.TypeSymlink, Linkname: target})
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
