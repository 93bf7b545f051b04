package layering

import (
	"os"
	"path/filepath"
)

// WriteFileAtomic writes a small record through a uniquely named temp file
// in the same directory and a rename: a reader sees the old record or the
// new one, never a part, and two writers at once do not clash. It is the
// one such writer the caches outside the layer cache use.
func WriteFileAtomic(file string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), file)
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}
