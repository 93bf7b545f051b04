package debian

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/langbuild/langbuild/layering"
)

// defaultClient fails fast on an unreachable mirror but lets large
// downloads take their time.
func defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 5 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t}
}

// fetchDeb puts a package's .deb into the cache, by its sha256. The content
// is checked against the index's sha256 and size while it is written, and
// only a matching file is kept.
func fetchDeb(ctx context.Context, f fetcher, c *layering.Cache, p Package) error {
	if p.SHA256 == "" {
		return fmt.Errorf("package %s: the index gives no SHA256", p)
	}
	url := p.Source.URI + "/" + p.Filename
	rc, err := f.get(ctx, url)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", p, err)
	}
	defer rc.Close()
	cr := &countingReader{r: rc}
	if err := c.PutBlob("sha256:"+p.SHA256, cr); err != nil {
		return fmt.Errorf("downloading %s from %s: checksum mismatch: %w", p, url, err)
	}
	if cr.n != p.Size {
		os.Remove(c.BlobPath("sha256:" + p.SHA256))
		return fmt.Errorf("downloading %s from %s: got %d bytes, the index says %d", p, url, cr.n, p.Size)
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
