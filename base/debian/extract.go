package debian

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"pault.ag/go/debian/deb"

	"github.com/langbuild/langbuild/layering"
)

// extracted is a .deb's content unpacked in the cache: its entries (sources
// relative to dir) and its control file.
type extracted struct {
	dir     string
	Entries []layering.Entry `json:"entries"`
	Control string           `json:"control"`
}

// entries returns the package's entries with absolute sources.
func (x *extracted) entries() []layering.Entry {
	out := make([]layering.Entry, len(x.Entries))
	for i, e := range x.Entries {
		if e.Source != "" {
			e.Source = filepath.Join(x.dir, "root", e.Source)
		}
		out[i] = e
	}
	return out
}

// extract unpacks the package's data.tar into cache/debs/<sha256>/root, once.
func extract(debsDir, blob string, p Package) (*extracted, error) {
	x := &extracted{}
	dir, _, err := unpackOnce(debsDir, p.SHA256, x, func(tmp string) error {
		y, err := unpack(blob, filepath.Join(tmp, "root"), p)
		if err == nil {
			*x = *y
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("unpacking %s: %w", p, err)
	}
	x.dir = dir
	return x, nil
}

// unpackOnce fills root/key once: fill writes into a temp directory and
// sets *manifest, which is recorded in manifest.json; the directory is then
// renamed into place, so a killed unpack is never used. When root/key is
// there already, *manifest is read from it and fresh is false.
func unpackOnce(root, key string, manifest any, fill func(tmp string) error) (dir string, fresh bool, err error) {
	dir = filepath.Join(root, key)
	if b, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil && json.Unmarshal(b, manifest) == nil {
		return dir, false, nil
	}
	tmp, err := os.MkdirTemp(root, "tmp-")
	if err != nil {
		return "", false, err
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return "", false, err
	}
	b, err := json.Marshal(manifest)
	if err != nil {
		return "", false, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), b, 0o644); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another build may have finished the same one first.
		if _, serr := os.Stat(filepath.Join(dir, "manifest.json")); serr != nil {
			return "", false, err
		}
	}
	return dir, true, nil
}

func unpack(blob, root string, p Package) (*extracted, error) {
	f, err := os.Open(blob)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := deb.Load(f, blob)
	if err != nil {
		return nil, fmt.Errorf("reading %s (%s): %w", p, p.Filename, err)
	}
	defer d.Close()
	var ctl bytes.Buffer
	if err := d.Control.Paragraph.WriteTo(&ctl); err != nil {
		return nil, err
	}
	x := &extracted{Control: ctl.String()}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	regular := map[string]string{} // image path -> source, for hard links
	for {
		h, err := d.Data.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s (%s): data: %w", p, p.Filename, err)
		}
		name, err := cleanPath(h.Name)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", p, p.Filename, err)
		}
		if name == "/" {
			continue
		}
		e := layering.Entry{Path: name, Mode: tarMode(h.Mode), UID: h.Uid, GID: h.Gid}
		switch h.Typeflag {
		case tar.TypeDir:
			e.Type = layering.TypeDir
		case tar.TypeSymlink:
			e.Type, e.Linkname, e.Mode = layering.TypeSymlink, h.Linkname, 0
		case tar.TypeReg:
			rel := strings.TrimPrefix(name, "/")
			dst := filepath.Join(root, filepath.FromSlash(rel))
			if err := writeFile(dst, d.Data); err != nil {
				return nil, fmt.Errorf("unpacking %s: %w", p, err)
			}
			e.Type, e.Source = layering.TypeFile, rel
			regular[name] = rel
		case tar.TypeLink:
			target, err := cleanPath(h.Linkname)
			if err != nil {
				return nil, fmt.Errorf("%s (%s): hard link: %w", p, p.Filename, err)
			}
			src, ok := regular[target]
			if !ok {
				return nil, fmt.Errorf("%s (%s): hard link %s to %s, which comes before no file", p, p.Filename, name, target)
			}
			e.Type, e.Source = layering.TypeFile, src
		default:
			return nil, fmt.Errorf("%s (%s): %s has unsupported type %q", p, p.Filename, name, h.Typeflag)
		}
		x.Entries = append(x.Entries, e)
	}
	return x, nil
}

// cleanPath turns a tar name into an absolute image path, refusing names that
// would climb out of the root.
func cleanPath(name string) (string, error) {
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("entry %q leaves the image root", name)
		}
	}
	return path.Clean("/" + strings.TrimPrefix(name, "./")), nil
}

func tarMode(m int64) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

func writeFile(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
