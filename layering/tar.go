package layering

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// DefaultModTime is the time every tar entry carries unless the caller sets
// another (Jib's convention: the epoch plus one second, since some tools treat
// a zero time as "unset").
var DefaultModTime = time.Unix(1, 0).UTC()

// resolved is an entry with everything the tar writer and the cache key need:
// the normalised mode, the size and the content hash.
type resolved struct {
	Entry
	mode   fs.FileMode
	size   int64
	sha256 string     // hex of the content, files only
	stat   statRecord // of a source file, when it was keyed
	// rehash checks a source file's content as it is copied, not its stat.
	rehash bool
	// learn takes a source file's content hash as it is copied.
	learn bool
}

// expand adds the missing parent directories of entries and sorts the result.
func expand(es []resolved) []resolved {
	have := make(map[string]bool, len(es))
	for _, e := range es {
		have[e.Path] = true
	}
	out := append([]resolved(nil), es...)
	for _, e := range es {
		for dir := path.Dir(e.Path); dir != "/"; dir = path.Dir(dir) {
			if have[dir] {
				continue
			}
			have[dir] = true
			out = append(out, resolved{Entry: Entry{Path: dir, Type: TypeDir}, mode: 0o755})
		}
	}
	// Sorting by path puts every directory before what it holds.
	plain := make([]Entry, len(out))
	idx := make(map[string]resolved, len(out))
	for i, e := range out {
		plain[i] = e.Entry
		idx[e.Path] = e
	}
	sortEntries(plain)
	for i, e := range plain {
		out[i] = idx[e.Path]
	}
	return out
}

// writeTar writes the entries, already expanded and sorted, as a reproducible
// tar stream: fixed times, numeric owners with no names, normalised modes, and
// no access or change times. A source file is stat'ed again once copied (or,
// with rehash, its content hashed as it is copied): one that changed after it
// was keyed fails the build instead of putting content under the wrong cache
// key.
func writeTar(w io.Writer, entries []resolved, modTime time.Time) error {
	tw := tar.NewWriter(w)
	mt := modTime.Truncate(time.Second)
	for i := range entries {
		e := &entries[i]
		hdr := &tar.Header{
			Name:    strings.TrimPrefix(e.Path, "/"),
			Mode:    int64(e.mode.Perm()),
			Uid:     e.UID,
			Gid:     e.GID,
			ModTime: mt,
		}
		if e.mode&fs.ModeSetuid != 0 {
			hdr.Mode |= 0o4000
		}
		if e.mode&fs.ModeSetgid != 0 {
			hdr.Mode |= 0o2000
		}
		if e.mode&fs.ModeSticky != 0 {
			hdr.Mode |= 0o1000
		}
		switch e.Type {
		case TypeDir:
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		case TypeSymlink:
			hdr.Typeflag = tar.TypeSymlink
			hdr.Linkname = e.Linkname
		case TypeFile:
			hdr.Typeflag = tar.TypeReg
			hdr.Size = e.size
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing tar header for %s: %w", e.Path, err)
		}
		if e.Type == TypeFile {
			if err := copyContent(tw, e); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func copyContent(w io.Writer, e *resolved) error {
	if e.Source == "" {
		_, err := w.Write(e.Data)
		return err
	}
	f, err := openRegular(e.Source)
	if err != nil {
		return err
	}
	defer f.Close()
	if e.rehash {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(f, e.size))
		if err != nil {
			return fmt.Errorf("reading %s: %w", e.Source, err)
		}
		if n != e.size || hex.EncodeToString(h.Sum(nil)) != e.sha256 {
			return fmt.Errorf("%s %w", e.Source, errChanged)
		}
		return nil
	}
	var h hash.Hash
	var dst io.Writer = w
	if e.learn {
		h = sha256.New()
		dst = io.MultiWriter(w, h)
	}
	n, err := io.Copy(dst, io.LimitReader(f, e.size))
	if err != nil {
		return fmt.Errorf("reading %s: %w", e.Source, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading %s: %w", e.Source, err)
	}
	if n != e.size || !statOf(fi).same(e.stat) {
		return fmt.Errorf("%s %w", e.Source, errChanged)
	}
	if e.learn {
		e.sha256 = hex.EncodeToString(h.Sum(nil))
	}
	return nil
}
