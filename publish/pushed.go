package publish

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/langbuild/langbuild/layering"
)

// maxPushed bounds a repository's record; the oldest entries go first. A
// blob that falls out of the record is only asked about again.
const maxPushed = 4096

// pushedBlobs records, per registry repository, the blobs a push placed
// there and saw a manifest accepted for, so the next push to that
// repository skips asking about them. The record is a hint: when the
// registry refuses a manifest for a missing blob (wiped, replaced, garbage
// collected), the record of that repository is dropped and the image
// pushed again with every blob checked.
//
// Each repository has one file, written through a temp file and a rename;
// two builds at once may lose each other's additions, which costs only a
// check next time.
type pushedBlobs struct {
	dir  string // empty: nothing is recorded
	repo string

	mu    sync.Mutex
	blobs map[string]bool // loaded lazily
	order []string
}

func newPushedBlobs(dir, repo string) *pushedBlobs {
	return &pushedBlobs{dir: dir, repo: repo}
}

type pushedFile struct {
	Repository string   `json:"repository"`
	Blobs      []string `json:"blobs"`
}

func (p *pushedBlobs) path() string {
	h := sha256.Sum256([]byte(p.repo))
	return filepath.Join(p.dir, hex.EncodeToString(h[:16])+".json")
}

// load reads the record once; a missing or unreadable record is empty.
func (p *pushedBlobs) load() {
	if p.blobs != nil {
		return
	}
	p.blobs = map[string]bool{}
	if p.dir == "" {
		return
	}
	b, err := os.ReadFile(p.path())
	if err != nil {
		return
	}
	var f pushedFile
	if json.Unmarshal(b, &f) != nil || f.Repository != p.repo {
		return
	}
	for _, d := range f.Blobs {
		if !p.blobs[d] {
			p.blobs[d] = true
			p.order = append(p.order, d)
		}
	}
}

// has reports whether a push to this repository placed the blob before.
func (p *pushedBlobs) has(digest string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.load()
	return p.blobs[digest]
}

// any reports whether a push to this repository placed anything before.
func (p *pushedBlobs) any() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.load()
	return len(p.blobs) > 0
}

// add records blobs a manifest the registry accepted refers to.
func (p *pushedBlobs) add(digests []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.load()
	changed := false
	for _, d := range digests {
		if !p.blobs[d] {
			p.blobs[d] = true
			p.order = append(p.order, d)
			changed = true
		}
	}
	if !changed || p.dir == "" {
		return nil
	}
	if n := len(p.order) - maxPushed; n > 0 {
		for _, d := range p.order[:n] {
			delete(p.blobs, d)
		}
		p.order = slices.Clone(p.order[n:])
	}
	b, err := json.Marshal(pushedFile{Repository: p.repo, Blobs: p.order})
	if err != nil {
		return err
	}
	return p.write(p.path(), b)
}

// write puts b in the file at path, in p's directory, through a temp file
// and a rename, so a reader never sees half of it.
func (p *pushedBlobs) write(path string, b []byte) error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return err
	}
	return layering.WriteFileAtomic(path, b)
}

// uploadsPath is where uploads opened in the repository and left unused
// are kept for the next build.
func (p *pushedBlobs) uploadsPath() string {
	return strings.TrimSuffix(p.path(), ".json") + ".uploads"
}

// takeUploads returns the kept uploads and forgets them, so that no other
// build uses them too: the file is renamed away before it is read.
func (p *pushedBlobs) takeUploads() []string {
	if p.dir == "" {
		return nil
	}
	taken := p.uploadsPath() + fmt.Sprintf(".taken-%d", os.Getpid())
	if os.Rename(p.uploadsPath(), taken) != nil {
		return nil
	}
	defer os.Remove(taken)
	b, err := os.ReadFile(taken)
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

// keepUpload records an unused upload for the next build. Two builds at
// once may each keep one; at worst an upload is left for the registry to
// expire.
func (p *pushedBlobs) keepUpload(loc string) {
	if p.dir == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.uploadsPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintln(f, loc)
	f.Close()
}

// forget drops the repository's record: the registry no longer has what it
// says.
func (p *pushedBlobs) forget() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blobs, p.order = map[string]bool{}, nil
	if p.dir != "" {
		os.Remove(p.path())
	}
}

// openFor is how long a registry found open (see transport.PushClient) is
// taken to be open without asking it again.
const openFor = 24 * time.Hour

// openPath is where the scheme a registry was found open on is kept.
func (p *pushedBlobs) openPath(registry string) string {
	h := sha256.Sum256([]byte(registry))
	return filepath.Join(p.dir, "open-"+hex.EncodeToString(h[:16]))
}

// openScheme returns the scheme the registry was found open on less than
// openFor ago, or "".
func (p *pushedBlobs) openScheme(registry string) string {
	if p.dir == "" {
		return ""
	}
	fi, err := os.Stat(p.openPath(registry))
	if err != nil || time.Since(fi.ModTime()) > openFor {
		return ""
	}
	b, err := os.ReadFile(p.openPath(registry))
	if s := string(b); err == nil && (s == "http" || s == "https") {
		return s
	}
	return ""
}

// rememberOpen records that the registry was found open on scheme; an
// empty scheme forgets it (it asked for credentials, or could not be
// reached as it was).
func (p *pushedBlobs) rememberOpen(registry, scheme string) {
	if p.dir == "" {
		return
	}
	if scheme == "" {
		os.Remove(p.openPath(registry))
		return
	}
	_ = p.write(p.openPath(registry), []byte(scheme)) // a hint: failing costs a ping
}
