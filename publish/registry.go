package publish

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry pushes to a repository in a registry. Only blobs the registry lacks
// are uploaded (a HEAD per blob, or a cross-repository mount for the layers of
// a base in the same registry); the manifest goes last, so a tag never names
// an image whose blobs are missing.
type Registry struct {
	ref  name.Tag
	tags []name.Tag
	opts Options
}

// NewRegistry returns a publisher that pushes to ref (a tag; "latest" when none).
func NewRegistry(ref string, opts Options) (*Registry, error) {
	r, err := opts.Registry.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("output %q is not a valid image reference: %w", ref, err)
	}
	tag, ok := r.(name.Tag)
	if !ok {
		return nil, fmt.Errorf("output %q names a digest; push to a tag", ref)
	}
	if err := opts.Registry.CheckHost(tag); err != nil {
		return nil, err
	}
	p := &Registry{ref: tag, opts: opts}
	for _, t := range opts.Tags {
		nt, err := name.NewTag(tag.Context().String()+":"+t, tagOpts(opts)...)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", t, err)
		}
		p.tags = append(p.tags, nt)
	}
	return p, nil
}

func tagOpts(o Options) []name.Option {
	if o.Registry.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// Publish implements Interface.
func (p *Registry) Publish(ctx context.Context, img v1.Image) (Result, error) {
	digest, err := imageDigest(img)
	if err != nil {
		return Result{}, err
	}
	updates := make(chan v1.Update, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range updates {
		}
	}()
	err = remote.Write(p.ref, img, p.opts.Registry.Remote(ctx, remote.WithProgress(updates))...)
	wg.Wait()
	if err != nil {
		return Result{}, fmt.Errorf("pushing %s: %w", p.ref, err)
	}
	for _, t := range p.tags {
		if err := remote.Tag(t, img, p.opts.Registry.Remote(ctx)...); err != nil {
			return Result{}, fmt.Errorf("tagging %s: %w", t, err)
		}
	}
	return Result{
		References: []string{p.ref.Context().Digest(digest).String()},
		Digest:     digest,
	}, nil
}

// Close implements Interface.
func (p *Registry) Close() error { return nil }
