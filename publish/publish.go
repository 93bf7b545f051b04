// Package publish writes images to where they are used: a registry, an OCI
// image layout directory, or a docker-loadable tarball. Each sink implements
// Interface; Multi combines them.
package publish

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/langbuild/langbuild/transport"
)

// Interface is a place images are published to.
type Interface interface {
	// Publish writes the image and returns where it went.
	Publish(ctx context.Context, img v1.Image) (Result, error)
	// Close releases what the publisher holds.
	Close() error
}

// Preparer is implemented by publishers that can do part of their work
// before the image exists, while the application compiles.
type Preparer interface {
	Prepare(ctx context.Context, base v1.Image) error
}

// Warmer is implemented by publishers that can get ready for a push before
// anything is known of the image: while the application compiles. What Warm
// does leaves nothing a user of the registry can see, so a build that then
// fails has pushed nothing. It does not wait: errors show in Publish.
type Warmer interface {
	Warm(ctx context.Context)
}

// Result says where an image was published.
type Result struct {
	// References name the published image, each pinned by digest where the
	// sink has digests (repo@sha256:..., oci:DIR@sha256:...).
	References []string
	// Digest of the image manifest.
	Digest string
	// Written lists the blobs a registry push uploaded or mounted (those
	// the registry had already are not in it); empty for other outputs.
	Written []string
	// Mounted lists those of Written that the registry mounted from
	// another repository (the base's) rather than receiving them.
	Mounted []string
}

// Options for New.
type Options struct {
	// Tags are extra tags a registry push also sets.
	Tags []string
	// Registry settings.
	Registry transport.Options
	// Name is the image name written into a tarball's RepoTags or the ref name
	// of an OCI layout entry when the output spec does not give one.
	Name string
	// Uploaded, when set, is told of blob bytes sent to a registry as they go.
	Uploaded func(n int64)
	// PushedDir, when set, is where registry pushes record the blobs they
	// placed in each repository, so later pushes there skip checking them.
	PushedDir string
}

// New returns the publisher for an output spec: oci:DIR[:TAG], tar:FILE, or a
// registry reference.
func New(output string, opts Options) (Interface, error) {
	switch {
	case strings.HasPrefix(output, "oci:"):
		return NewLayout(strings.TrimPrefix(output, "oci:"), opts)
	case strings.HasPrefix(output, "tar:"):
		return NewTarball(strings.TrimPrefix(output, "tar:"), opts)
	case output == "":
		return nil, errors.New("no output given")
	}
	return NewRegistry(output, opts)
}

type multi []Interface

// Multi publishes to every one of pubs, in order, and merges their results.
func Multi(pubs ...Interface) Interface { return multi(pubs) }

func (m multi) Publish(ctx context.Context, img v1.Image) (Result, error) {
	var all Result
	for _, p := range m {
		r, err := p.Publish(ctx, img)
		if err != nil {
			return all, err
		}
		all.References = append(all.References, r.References...)
		all.Written = append(all.Written, r.Written...)
		all.Mounted = append(all.Mounted, r.Mounted...)
		all.Digest = r.Digest
	}
	return all, nil
}

// Prepare implements Preparer for the publishers that do.
func (m multi) Prepare(ctx context.Context, base v1.Image) error {
	for _, p := range m {
		if pp, ok := p.(Preparer); ok {
			if err := pp.Prepare(ctx, base); err != nil {
				return err
			}
		}
	}
	return nil
}

// Warm implements Warmer for the publishers that do.
func (m multi) Warm(ctx context.Context) {
	for _, p := range m {
		if w, ok := p.(Warmer); ok {
			w.Warm(ctx)
		}
	}
}

// StreamLayer implements Streamer for the publishers that do.
func (m multi) StreamLayer(ctx context.Context, layer string) LayerStream {
	var ss multiStream
	for _, p := range m {
		if st, ok := p.(Streamer); ok {
			if s := st.StreamLayer(ctx, layer); s != nil {
				ss = append(ss, s)
			}
		}
	}
	switch len(ss) {
	case 0:
		return nil
	case 1:
		return ss[0]
	}
	return ss
}

// multiStream copies a layer to several streams; one that fails is given
// up, the others go on.
type multiStream []LayerStream

func (ms multiStream) Write(b []byte) (int, error) {
	for _, s := range ms {
		s.Write(b) // a failed stream abandons itself
	}
	return len(b), nil
}

func (ms multiStream) Finishing() {
	for _, s := range ms {
		s.Finishing()
	}
}

func (ms multiStream) Done(digest string, size int64, err error) {
	for _, s := range ms {
		s.Done(digest, size, err)
	}
}

func (m multi) Close() error {
	var errs []error
	for _, p := range m {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

func imageDigest(img v1.Image) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("computing image digest: %w", err)
	}
	return d.String(), nil
}
