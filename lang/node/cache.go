package node

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

// closureCache is a listing of the installed production packages, kept so an
// unchanged node_modules is neither checked nor walked again.
type closureCache struct {
	V        int
	Packages []cachedPkg
	Links    []layering.Entry
	Native   []string
}

type cachedPkg struct {
	Key     string
	Top     string
	Entries []layering.Entry
	Size    int64
}

const closureCacheVersion = 1

// cachedClosure is closure, remembered. The listing is reused while the
// lockfile's production entries, npm's hidden lockfile (rewritten by every
// install) and the node_modules directory are as they were; workspace
// packages, being the project's own sources, are always read afresh.
// Editing files inside node_modules by hand is not noticed: run npm ci.
func cachedClosure(dir string, lock lockfile, lockName string, opts lang.Options) (*closureResult, error) {
	file := ""
	if opts.WorkDir != "" {
		h := sha256.New()
		fmt.Fprintf(h, "%s\x00", dir)
		var keys []string
		for k, e := range lock.Packages {
			if k != "" && !e.Dev && !e.DevOptional {
				keys = append(keys, fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%v", k, e.Version, e.Integrity, e.Resolved, e.Link))
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(h, "%s\x00", k)
		}
		for _, p := range []string{"node_modules", "node_modules/.package-lock.json", "node_modules/.bin"} {
			if fi, err := os.Stat(filepath.Join(dir, p)); err == nil {
				fmt.Fprintf(h, "%s\x00%d\x00%d\x00", p, fi.Size(), fi.ModTime().UnixNano())
			}
		}
		file = filepath.Join(opts.WorkDir, "node", hex.EncodeToString(h.Sum(nil))[:32]+".gob")
		if f, err := os.Open(file); err == nil {
			var c closureCache
			err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&c)
			f.Close()
			if err == nil && c.V == closureCacheVersion {
				return fromCache(dir, lock, c)
			}
		}
	}
	// npm's hidden lockfile records what it installed; it is read only when
	// the listing must be made again.
	hidden := map[string]lockEntry{}
	var hl lockfile
	if readJSON(filepath.Join(dir, "node_modules", ".package-lock.json"), &hl) == nil {
		hidden = hl.Packages
	}
	res, err := closure(dir, lock, hidden, lockName)
	if err != nil || file == "" {
		return res, err
	}
	c := closureCache{V: closureCacheVersion, Links: res.links, Native: res.native}
	for _, p := range res.packages {
		c.Packages = append(c.Packages, cachedPkg{Key: p.key, Top: p.top, Entries: p.entries, Size: p.size})
	}
	// gob, not JSON: a thousand packages are thousands of entries, and
	// decoding them is most of a no-op build's time.
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c); err == nil {
		os.MkdirAll(filepath.Dir(file), 0o755)
		tmp := file + ".tmp"
		if os.WriteFile(tmp, buf.Bytes(), 0o644) == nil {
			os.Rename(tmp, file)
		}
	}
	return res, nil
}

func fromCache(dir string, lock lockfile, c closureCache) (*closureResult, error) {
	res := &closureResult{links: c.Links, native: c.Native, workspaceDirs: map[string]bool{}}
	for _, p := range c.Packages {
		res.packages = append(res.packages, pkgFiles{key: p.Key, top: p.Top, entries: p.Entries, size: p.Size})
	}
	var ws []string
	for k, e := range lock.Packages {
		if k != "" && !e.Dev && !e.DevOptional && !e.Link && !isInstallPath(k) {
			ws = append(ws, k)
		}
	}
	sort.Strings(ws)
	for _, k := range ws {
		res.workspaceDirs[k] = true
		es, _, _, err := walkPackage(filepath.Join(dir, filepath.FromSlash(k)), path.Join(AppDir, k))
		if err != nil {
			return nil, err
		}
		res.workspace = append(res.workspace, es...)
	}
	return res, nil
}
