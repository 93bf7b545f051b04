package node

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/langbuild/langbuild/layering"
)

// The dependency record is read on every build, and a thousand packages are
// several thousand entries: gob spent a few milliseconds a build on them
// (its type set-up in a fresh process and a string allocation per field).
// This format is length-prefixed fields in a fixed order, read from one
// string that every decoded string is a slice of.

// recordMagic starts every record; the version that follows is
// depsRecordVersion.
const recordMagic = "langbuild node dependencies\n"

var errBadRecord = errors.New("malformed dependency record")

type recordWriter struct{ b []byte }

func (w *recordWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *recordWriter) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *recordWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *recordWriter) strs(ss []string) {
	w.uint(uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}

func (w *recordWriter) entries(es []layering.Entry) error {
	w.uint(uint64(len(es)))
	for _, e := range es {
		if e.Data != nil {
			return errors.New("dependency record: an entry with data") // the analyzer makes none
		}
		w.uint(uint64(e.Type))
		w.str(e.Path)
		w.str(e.Source)
		w.str(e.Linkname)
		w.uint(uint64(e.Mode))
		w.int(int64(e.UID))
		w.int(int64(e.GID))
	}
	return nil
}

// encodeRecord writes rec in the record format.
func encodeRecord(rec depsRecord) ([]byte, error) {
	w := &recordWriter{b: append([]byte(nil), recordMagic...)}
	w.uint(uint64(rec.V))
	w.uint(uint64(len(rec.Inputs)))
	for _, s := range rec.Inputs {
		w.str(s.Name)
		absent := uint64(0)
		if s.Absent {
			absent = 1
		}
		w.uint(absent)
		w.int(s.Size)
		w.int(s.MTime)
		w.uint(s.Inode)
		w.uint(uint64(s.Mode))
	}
	w.str(rec.Closure)
	w.uint(uint64(len(rec.Deps)))
	for _, l := range rec.Deps {
		w.str(l.Name)
		w.str(l.Key)
		if err := w.entries(l.Entries); err != nil {
			return nil, err
		}
	}
	if err := w.entries(rec.Links); err != nil {
		return nil, err
	}
	w.strs(rec.Native)
	w.strs(rec.Workspaces)
	return w.b, nil
}

// recordReader reads fields from s; the strings it returns are slices of
// s. The first malformed field sets err, and every read after it returns
// zero.
type recordReader struct {
	s   string
	off int
	err error
}

// uint reads what binary.AppendUvarint wrote.
func (r *recordReader) uint() uint64 {
	var v uint64
	for shift := 0; r.err == nil; shift += 7 {
		if r.off == len(r.s) || shift > 63 {
			r.err = errBadRecord
			break
		}
		c := r.s[r.off]
		r.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	return 0
}

// int reads what binary.AppendVarint wrote.
func (r *recordReader) int() int64 {
	u := r.uint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// count reads a length, which can be no more than the bytes left: every
// element takes at least one.
func (r *recordReader) count() int {
	n := r.uint()
	if n > uint64(len(r.s)-r.off) {
		r.err = errBadRecord
		return 0
	}
	return int(n)
}

func (r *recordReader) str() string {
	n := r.count()
	if r.err != nil {
		return ""
	}
	s := r.s[r.off : r.off+n]
	r.off += n
	return s
}

func (r *recordReader) strs() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *recordReader) entries() []layering.Entry {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := make([]layering.Entry, n)
	for i := range out {
		e := &out[i]
		if e.Type = layering.EntryType(r.uint()); e.Type > layering.TypeSymlink {
			r.err = errBadRecord
		}
		e.Path = r.str()
		e.Source = r.str()
		e.Linkname = r.str()
		e.Mode = fs.FileMode(r.uint())
		e.UID = int(r.int())
		e.GID = int(r.int())
	}
	return out
}

// decodeRecord reads a record that encodeRecord wrote.
func decodeRecord(s string) (depsRecord, error) {
	if !strings.HasPrefix(s, recordMagic) {
		return depsRecord{}, errBadRecord
	}
	r := &recordReader{s: s, off: len(recordMagic)}
	var rec depsRecord
	if rec.V = int(r.uint()); rec.V != depsRecordVersion {
		return depsRecord{}, errBadRecord
	}
	if n := r.count(); n > 0 {
		rec.Inputs = make([]fileStamp, n)
		for i := range rec.Inputs {
			s := &rec.Inputs[i]
			s.Name = r.str()
			s.Absent = r.uint() == 1
			s.Size = r.int()
			s.MTime = r.int()
			s.Inode = r.uint()
			s.Mode = uint32(r.uint())
		}
	}
	rec.Closure = r.str()
	if n := r.count(); n > 0 {
		rec.Deps = make([]layering.Layer, n)
		for i := range rec.Deps {
			l := &rec.Deps[i]
			l.Name = r.str()
			l.Key = r.str()
			l.Entries = r.entries()
		}
	}
	rec.Links = r.entries()
	rec.Native = r.strs()
	rec.Workspaces = r.strs()
	if r.err == nil && r.off != len(s) {
		r.err = errBadRecord
	}
	if r.err != nil {
		return depsRecord{}, r.err
	}
	return rec, nil
}

// readRecord reads a record file into one string, with no copy of it in
// between.
func readRecord(file string) (depsRecord, error) {
	f, err := os.Open(file)
	if err != nil {
		return depsRecord{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return depsRecord{}, err
	}
	var sb strings.Builder
	sb.Grow(int(fi.Size()))
	if _, err := io.Copy(&sb, f); err != nil {
		return depsRecord{}, err
	}
	return decodeRecord(sb.String())
}
