package debian

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ulikunitz/xz"
)

// Package is one binary package as a Packages index lists it.
type Package struct {
	Name          string
	Version       string
	Architecture  string
	Depends       string
	PreDepends    string
	Provides      string
	Filename      string
	Size          int64
	SHA256        string
	InstalledSize int64  // KiB
	Source        Source // the repository it comes from
}

func (p Package) String() string { return p.Name + "=" + p.Version }

// fetcher gets files from repositories.
type fetcher struct {
	client *http.Client
}

func (f fetcher) get(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &httpError{url: url, status: resp.Status, code: resp.StatusCode}
	}
	return resp.Body, nil
}

type httpError struct {
	url, status string
	code        int
}

func (e *httpError) Error() string { return fmt.Sprintf("fetching %s: %s", e.url, e.status) }

func (f fetcher) getAll(ctx context.Context, url string, limit int64) ([]byte, error) {
	rc, err := f.get(ctx, url)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("fetching %s: larger than %d bytes", url, limit)
	}
	return b, nil
}

// release is a suite's Release file: the indexes it vouches for.
type release struct {
	files map[string]fileSum // path under dists/SUITE -> size and sha256
}

type fileSum struct {
	size   int64
	sha256 string
}

// fetchRelease gets dists/SUITE/InRelease and checks its signature against
// the keyring when one is given (ErrNoKeyring-free: an empty keyring path
// means no check).
func (f fetcher) fetchRelease(ctx context.Context, s Source, keyring string) (*release, error) {
	url := s.URI + "/dists/" + s.Suite + "/InRelease"
	raw, err := f.getAll(ctx, url, 64<<20)
	if err != nil {
		return nil, err
	}
	block, _ := clearsign.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%s is not a signed Release file", url)
	}
	if keyring != "" {
		if err := checkSignature(block, keyring); err != nil {
			return nil, fmt.Errorf("%s: %w", url, err)
		}
	}
	paras, err := parseParagraphs(string(block.Plaintext), url)
	if err != nil {
		return nil, err
	}
	if len(paras) == 0 {
		return nil, fmt.Errorf("%s is empty", url)
	}
	r := &release{files: map[string]fileSum{}}
	for _, line := range strings.Split(paras[0].get("SHA256"), "\n") {
		fs := strings.Fields(line)
		if len(fs) != 3 {
			continue
		}
		n, err := strconv.ParseInt(fs[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad size in SHA256 line %q", url, line)
		}
		r.files[fs[2]] = fileSum{size: n, sha256: fs[0]}
	}
	if len(r.files) == 0 {
		return nil, fmt.Errorf("%s lists no SHA256 checksums", url)
	}
	return r, nil
}

func checkSignature(block *clearsign.Block, keyring string) error {
	kf, err := os.Open(keyring)
	if err != nil {
		return fmt.Errorf("reading keyring: %w", err)
	}
	defer kf.Close()
	var keys openpgp.EntityList
	if strings.HasSuffix(keyring, ".asc") {
		keys, err = openpgp.ReadArmoredKeyRing(kf)
	} else {
		keys, err = openpgp.ReadKeyRing(kf)
	}
	if err != nil {
		return fmt.Errorf("reading keyring %s: %w", keyring, err)
	}
	_, err = openpgp.CheckDetachedSignature(keys, bytes.NewReader(block.Bytes), block.ArmoredSignature.Body, nil)
	if err != nil {
		return fmt.Errorf("signature does not verify with %s: %w", keyring, err)
	}
	return nil
}

// fetchIndex gets and checks the Packages index of one component and parses it.
func (f fetcher) fetchIndex(ctx context.Context, s Source, rel *release, component, arch string) ([]Package, error) {
	base := component + "/binary-" + arch + "/Packages"
	for _, ext := range []string{".gz", ".xz", ""} {
		sum, ok := rel.files[base+ext]
		if !ok {
			continue
		}
		url := s.URI + "/dists/" + s.Suite + "/" + base + ext
		raw, err := f.getAll(ctx, url, 1<<30)
		if err != nil {
			return nil, err
		}
		if err := checkSum(raw, sum, url); err != nil {
			return nil, err
		}
		var r io.Reader = bytes.NewReader(raw)
		switch ext {
		case ".gz":
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", url, err)
			}
			r = zr
		case ".xz":
			xr, err := xz.NewReader(r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", url, err)
			}
			r = xr
		}
		text, err := io.ReadAll(bufio.NewReaderSize(r, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", url, err)
		}
		return parseIndex(string(text), url, s)
	}
	return nil, fmt.Errorf("%s/dists/%s/Release lists no %s index", s.URI, s.Suite, base)
}

func checkSum(raw []byte, want fileSum, what string) error {
	sum := sha256.Sum256(raw)
	if int64(len(raw)) != want.size || hex.EncodeToString(sum[:]) != want.sha256 {
		return fmt.Errorf("%s: checksum mismatch: got %d bytes with sha256 %s, the Release file says %d bytes with sha256 %s",
			what, len(raw), hex.EncodeToString(sum[:]), want.size, want.sha256)
	}
	return nil
}

func parseIndex(text, file string, s Source) ([]Package, error) {
	paras, err := parseParagraphs(text, file)
	if err != nil {
		return nil, err
	}
	out := make([]Package, 0, len(paras))
	for _, p := range paras {
		pk := Package{
			Name: p.get("Package"), Version: p.get("Version"), Architecture: p.get("Architecture"),
			Depends: p.get("Depends"), PreDepends: p.get("Pre-Depends"), Provides: p.get("Provides"),
			Filename: p.get("Filename"), SHA256: p.get("SHA256"), Source: s,
		}
		if pk.Name == "" || pk.Version == "" || pk.Filename == "" {
			return nil, fmt.Errorf("%s:%d: package entry without Package, Version or Filename", file, p.line)
		}
		var err1, err2 error
		pk.Size, err1 = strconv.ParseInt(p.get("Size"), 10, 64)
		if v := p.get("Installed-Size"); v != "" {
			pk.InstalledSize, err2 = strconv.ParseInt(v, 10, 64)
		}
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("%s:%d: package %s: %w", file, p.line, pk.Name, err)
		}
		out = append(out, pk)
	}
	return out, nil
}
