package base

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/langbuild/langbuild/image"
)

// fromRegistry resolves a registry reference through the cache. A reference
// pinned by digest whose manifests and config are cached needs no network; a
// tag costs one manifest request (the tag may have moved). Layers are fetched
// only when an output needs their bytes: a push to a registry checks for them
// there and mounts them from the base repository instead.
func fromRegistry(ctx context.Context, spec string, opts Options) (image.Base, error) {
	ref, err := opts.Registry.ParseReference(spec)
	if err != nil {
		return image.Base{}, fmt.Errorf("base image %q is not a valid reference: %w", spec, err)
	}
	if err := opts.Registry.CheckHost(ref); err != nil {
		return image.Base{}, err
	}
	p := &puller{ctx: ctx, repo: ref.Context(), opts: opts}
	var digest v1.Hash
	if d, ok := ref.(name.Digest); ok {
		if digest, err = v1.NewHash(d.DigestStr()); err != nil {
			return image.Base{}, err
		}
	} else {
		desc, err := remote.Get(ref, opts.Registry.Remote(ctx)...)
		if err != nil {
			return image.Base{}, fmt.Errorf("fetching base image %s: %w", ref, err)
		}
		if err := opts.Cache.PutBlob(desc.Digest.String(), bytesReader(desc.Manifest)); err != nil {
			return image.Base{}, err
		}
		digest = desc.Digest
	}
	raw, mt, err := p.manifest(digest)
	if err != nil {
		return image.Base{}, fmt.Errorf("fetching base image %s: %w", ref, err)
	}
	if mt.IsIndex() {
		idx, err := v1.ParseIndexManifest(bytesReader(raw))
		if err != nil {
			return image.Base{}, fmt.Errorf("reading index of base image %s: %w", ref, err)
		}
		desc, err := pickPlatform(idx, opts.Platform, "base image "+ref.String())
		if err != nil {
			return image.Base{}, err
		}
		digest = desc.Digest
		if raw, mt, err = p.manifest(digest); err != nil {
			return image.Base{}, fmt.Errorf("fetching base image %s: %w", ref, err)
		}
	}
	if !mt.IsImage() {
		return image.Base{}, fmt.Errorf("base image %s has media type %s, not an image", ref, mt)
	}
	m, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return image.Base{}, fmt.Errorf("reading manifest of base image %s: %w", ref, err)
	}
	cfg, err := p.blob(m.Config.Digest)
	if err != nil {
		return image.Base{}, fmt.Errorf("fetching config of base image %s: %w", ref, err)
	}
	cf, err := v1.ParseConfigFile(bytesReader(cfg))
	if err != nil {
		return image.Base{}, fmt.Errorf("reading config of base image %s: %w", ref, err)
	}
	core := &cachedImage{p: p, raw: raw, mt: mt, manifest: m, config: cfg, diffIDs: cf.RootFS.DiffIDs}
	img, err := partial.CompressedToImage(core)
	if err != nil {
		return image.Base{}, err
	}
	if err := checkPlatform(img, opts.Platform, "base image "+ref.String()); err != nil {
		return image.Base{}, err
	}
	pinned := ref.Context().Digest(digest.String())
	return image.Base{
		Image:  &mountableImage{Image: img, ref: pinned},
		Name:   ref.String(),
		Digest: digest.String(),
	}, nil
}

// puller reads blobs from the cache, fetching and caching what is missing.
type puller struct {
	ctx  context.Context
	repo name.Repository
	opts Options
	// local pullers serve images langbuild built itself: everything must be
	// in the cache already.
	local bool
}

func (p *puller) manifest(h v1.Hash) ([]byte, types.MediaType, error) {
	raw, err := os.ReadFile(p.opts.Cache.BlobPath(h.String()))
	if err != nil {
		desc, err := remote.Get(p.repo.Digest(h.String()), p.opts.Registry.Remote(p.ctx)...)
		if err != nil {
			return nil, "", err
		}
		if err := p.opts.Cache.PutBlob(h.String(), bytesReader(desc.Manifest)); err != nil {
			return nil, "", err
		}
		return desc.Manifest, desc.MediaType, nil
	}
	mt, err := sniffMediaType(raw)
	return raw, mt, err
}

func (p *puller) blob(h v1.Hash) ([]byte, error) {
	if err := p.ensure(h); err != nil {
		return nil, err
	}
	return os.ReadFile(p.opts.Cache.BlobPath(h.String()))
}

// ensure makes sure the blob is in the cache; PutBlob checks its digest.
func (p *puller) ensure(h v1.Hash) error {
	if _, err := os.Stat(p.opts.Cache.BlobPath(h.String())); err == nil {
		return nil
	}
	if p.local {
		return fmt.Errorf("blob %s is missing from the cache; build the base again", h)
	}
	l, err := remote.Layer(p.repo.Digest(h.String()), p.opts.Registry.Remote(p.ctx)...)
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	return p.opts.Cache.PutBlob(h.String(), rc)
}

// cachedImage is a base image whose manifest and config are in the cache and
// whose layers are fetched into it on first use.
type cachedImage struct {
	p        *puller
	raw      []byte
	mt       types.MediaType
	manifest *v1.Manifest
	config   []byte
	diffIDs  []v1.Hash
}

func (i *cachedImage) RawConfigFile() ([]byte, error)      { return i.config, nil }
func (i *cachedImage) MediaType() (types.MediaType, error) { return i.mt, nil }
func (i *cachedImage) RawManifest() ([]byte, error)        { return i.raw, nil }

func (i *cachedImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == i.manifest.Config.Digest {
		return &cachedLayer{p: i.p, desc: i.manifest.Config}, nil
	}
	for n, d := range i.manifest.Layers {
		if d.Digest == h {
			l := &cachedLayer{p: i.p, desc: d}
			if n < len(i.diffIDs) {
				l.diffID = i.diffIDs[n]
			}
			return l, nil
		}
	}
	return nil, fmt.Errorf("base image has no blob %s", h)
}

type cachedLayer struct {
	p      *puller
	desc   v1.Descriptor
	diffID v1.Hash
}

func (l *cachedLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *cachedLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *cachedLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *cachedLayer) Descriptor() (*v1.Descriptor, error) { d := l.desc; return &d, nil }

func (l *cachedLayer) DiffID() (v1.Hash, error) {
	if l.diffID == (v1.Hash{}) {
		return v1.Hash{}, errors.New("base layer has no diffID in its config")
	}
	return l.diffID, nil
}

func (l *cachedLayer) Compressed() (io.ReadCloser, error) {
	if err := l.p.ensure(l.desc.Digest); err != nil {
		return nil, fmt.Errorf("fetching base layer %s: %w", l.desc.Digest, err)
	}
	return os.Open(l.p.opts.Cache.BlobPath(l.desc.Digest.String()))
}

// mountableImage marks the base's layers as mountable from the base's
// repository, so a push to the same registry mounts them instead of uploading.
type mountableImage struct {
	v1.Image
	ref name.Reference
}

func (m *mountableImage) Layers() ([]v1.Layer, error) {
	ls, err := m.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = &remote.MountableLayer{Layer: l, Reference: m.ref}
	}
	return out, nil
}

func (m *mountableImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := m.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return &remote.MountableLayer{Layer: l, Reference: m.ref}, nil
}

// Descriptor keeps the platform-specific manifest's own descriptor.
func (m *mountableImage) Descriptor() (*v1.Descriptor, error) { return partial.Descriptor(m.Image) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
