package base

import (
	"context"
	"fmt"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"

	"github.com/langbuild/langbuild/image"
)

// Find returns the base an image recorded (its name and manifest digest):
// from the cache when its manifest and config are there (enough to know its
// layers and history), else by resolving the name again and checking the
// digest. It is how rebase learns what to take off.
func Find(ctx context.Context, baseName, digest string, opts Options) (image.Base, error) {
	if b, err := fromCacheByDigest(baseName, digest, opts); err == nil {
		return b, nil
	}
	spec := baseName
	if !hasScheme(spec) {
		// A registry reference: ask for exactly that digest.
		ref, err := opts.Registry.ParseReference(spec)
		if err != nil {
			return image.Base{}, fmt.Errorf("old base %q: %w", baseName, err)
		}
		spec = ref.Context().Digest(digest).String()
	}
	b, err := Resolve(ctx, spec, opts)
	if err != nil {
		return image.Base{}, fmt.Errorf("finding the old base %s@%s: %w", baseName, digest, err)
	}
	if b.Digest != digest {
		return image.Base{}, fmt.Errorf("the old base %s is now %s, not the %s the image was built on, and that one is not in the cache", baseName, b.Digest, digest)
	}
	return b, nil
}

func hasScheme(spec string) bool {
	for _, p := range []string{"builtin:", "oci:", "tar:", "debian:"} {
		if strings.HasPrefix(spec, p) {
			return true
		}
	}
	return false
}

func fromCacheByDigest(baseName, digest string, opts Options) (image.Base, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return image.Base{}, err
	}
	raw, err := os.ReadFile(opts.Cache.BlobPath(h.String()))
	if err != nil {
		return image.Base{}, err
	}
	m, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return image.Base{}, err
	}
	cfg, err := os.ReadFile(opts.Cache.BlobPath(m.Config.Digest.String()))
	if err != nil {
		return image.Base{}, err
	}
	cf, err := v1.ParseConfigFile(bytesReader(cfg))
	if err != nil {
		return image.Base{}, err
	}
	mt, err := sniffMediaType(raw)
	if err != nil {
		return image.Base{}, err
	}
	p := &puller{opts: opts, local: true}
	img, err := partial.CompressedToImage(&cachedImage{p: p, raw: raw, mt: mt, manifest: m, config: cfg, diffIDs: cf.RootFS.DiffIDs})
	if err != nil {
		return image.Base{}, err
	}
	return image.Base{Image: img, Name: baseName, Digest: digest}, nil
}
