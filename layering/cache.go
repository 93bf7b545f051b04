package layering

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Cache is the on-disk, content-keyed layer cache.
//
// Layout under its directory:
//
//	blobs/sha256/<hex>   compressed layer blobs, named by their digest
//	layers/<key>.json    layer key -> digest, diffID and size
//	stat/<key>.json      stat records (size, mtime, inode -> content hash) of a layer's sources
//	tmp/                 every write starts here and is renamed into place
//
// Other parts of langbuild keep their own subdirectories beside these: work/
// (analyzers' build outputs and records), debs/ and debian-bases/ (bases built
// from Debian packages), pushed/ (the publisher's record of the blobs each
// registry repository holds).
//
// Every file is written to tmp/ and renamed, so a killed build or two builds at
// once can leave stray temp files but never a half-written entry.
type Cache struct {
	dir string
}

// OpenCache opens (creating if needed) the cache in dir.
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("opening layer cache: no directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening layer cache: %w", err)
	}
	for _, sub := range []string{"blobs/sha256", "layers", "stat", "tmp"} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o755); err != nil {
			return nil, fmt.Errorf("opening layer cache %s: %w", abs, err)
		}
	}
	c := &Cache{dir: abs}
	c.sweepTemp(24 * time.Hour)
	return c, nil
}

// sweepTemp removes temp files a killed build left behind. Only old ones: a
// younger one may belong to a build running now.
func (c *Cache) sweepTemp(age time.Duration) {
	tmp := filepath.Join(c.dir, "tmp")
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-age)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(tmp, e.Name()))
		}
	}
}

// Dir is the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

// Subdir returns (creating it) a directory under the cache for another part of
// langbuild to keep its own files in, such as analyzers' build outputs.
func (c *Cache) Subdir(name string) (string, error) {
	d := filepath.Join(c.dir, name)
	return d, os.MkdirAll(d, 0o755)
}

// BlobPath is where the blob with this digest ("sha256:<hex>") is kept.
func (c *Cache) BlobPath(digest string) string {
	return filepath.Join(c.dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

// layerRecord is what the cache knows of a built layer.
type layerRecord struct {
	Digest string `json:"digest"`
	DiffID string `json:"diffID"`
	Size   int64  `json:"size"`
}

func (c *Cache) lookupLayer(key string) (layerRecord, bool) {
	var r layerRecord
	b, err := os.ReadFile(filepath.Join(c.dir, "layers", key+".json"))
	if err != nil || json.Unmarshal(b, &r) != nil || r.Digest == "" {
		return layerRecord{}, false
	}
	fi, err := os.Stat(c.BlobPath(r.Digest))
	if err != nil || fi.Size() != r.Size {
		return layerRecord{}, false
	}
	return r, true
}

func (c *Cache) storeLayer(key string, r layerRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return c.writeFile(filepath.Join(c.dir, "layers", key+".json"), b)
}

// statRecord identifies a file's content by its stat, to skip rehashing.
type statRecord struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"` // nanoseconds
	Inode   uint64 `json:"ino"`
	Mode    uint32 `json:"mode"`
	// ChangeTime (ctime, nanoseconds) moves on every write and cannot be
	// set back, unlike the mtime: content changed under a restored mtime
	// still shows.
	ChangeTime int64  `json:"ctime"`
	SHA256     string `json:"sha256"`
}

// same reports whether two stats of a file show the same content.
func (r statRecord) same(o statRecord) bool {
	return r.Size == o.Size && r.ModTime == o.ModTime && r.Inode == o.Inode && r.Mode == o.Mode && r.ChangeTime == o.ChangeTime
}

func (c *Cache) loadStats(key string) map[string]statRecord {
	m := map[string]statRecord{}
	b, err := os.ReadFile(filepath.Join(c.dir, "stat", key+".json"))
	if err == nil {
		_ = json.Unmarshal(b, &m) // a bad record only costs a rehash
	}
	return m
}

func (c *Cache) storeStats(key string, m map[string]statRecord) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.writeFile(filepath.Join(c.dir, "stat", key+".json"), b)
}

// writeFile writes b to dst through a temp file and a rename.
func (c *Cache) writeFile(dst string, b []byte) error {
	f, err := c.tempFile()
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	return c.commit(f, dst)
}

func (c *Cache) tempFile() (*os.File, error) {
	return os.CreateTemp(filepath.Join(c.dir, "tmp"), "w-*")
}

// commit closes the temp file f and renames it to dst; rename is atomic, so a
// reader sees the old file, the new one, or none, never a part.
func (c *Cache) commit(f *os.File, dst string) error {
	name := f.Name()
	if err := f.Close(); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, dst); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing cache entry %s: %w", dst, err)
	}
	return nil
}

// PutBlob stores the content of r as a blob in the cache, checking that it has
// the expected digest. It is for blobs langbuild did not write itself, such as
// base image layers.
func (c *Cache) PutBlob(digest string, r io.Reader) error {
	f, err := c.tempFile()
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("blob %s: content has digest %s", digest, got)
	}
	return c.commit(f, c.BlobPath(digest))
}

// Problem is one thing Verify found wrong.
type Problem struct {
	Path   string
	Reason string
}

func (p Problem) String() string { return p.Path + ": " + p.Reason }

// Verify checks every blob against its name and every layer record against
// its blob. A nil result means the cache is sound. Temp files are ignored:
// they are never read.
func (c *Cache) Verify() ([]Problem, error) {
	var probs []Problem
	blobs, err := os.ReadDir(filepath.Join(c.dir, "blobs", "sha256"))
	if err != nil {
		return nil, err
	}
	for _, b := range blobs {
		p := filepath.Join(c.dir, "blobs", "sha256", b.Name())
		f, err := os.Open(p)
		if err != nil {
			probs = append(probs, Problem{p, err.Error()})
			continue
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			probs = append(probs, Problem{p, err.Error()})
		} else if got := hex.EncodeToString(h.Sum(nil)); got != b.Name() {
			probs = append(probs, Problem{p, "content has digest sha256:" + got})
		}
	}
	layers, err := os.ReadDir(filepath.Join(c.dir, "layers"))
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		p := filepath.Join(c.dir, "layers", l.Name())
		var r layerRecord
		b, err := os.ReadFile(p)
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err != nil {
			probs = append(probs, Problem{p, "unreadable record: " + err.Error()})
			continue
		}
		fi, err := os.Stat(c.BlobPath(r.Digest))
		if err != nil {
			// A record whose blob is gone is a miss, not a corruption: the
			// layer is simply built again.
			continue
		}
		if fi.Size() != r.Size {
			probs = append(probs, Problem{p, fmt.Sprintf("blob %s has %d bytes, record says %d", r.Digest, fi.Size(), r.Size)})
		}
	}
	return probs, nil
}
