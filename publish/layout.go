package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
)

// RefNameAnnotation is how an OCI layout names its images (umoci and skopeo
// address them as DIR:NAME).
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// Layout writes into an OCI image layout directory, replacing the image that
// had the same ref name.
type Layout struct {
	dir string
	tag string
}

// NewLayout returns a publisher for DIR[:TAG]; TAG defaults to the tag of
// opts.Name, or "latest".
func NewLayout(spec string, opts Options) (*Layout, error) {
	dir, tag := splitLayoutSpec(spec)
	if dir == "" {
		return nil, errors.New("output oci: needs a directory")
	}
	if tag == "" {
		tag = "latest"
		if _, t, ok := strings.Cut(lastPart(opts.Name), ":"); ok && t != "" {
			tag = t
		}
	}
	return &Layout{dir: dir, tag: tag}, nil
}

func lastPart(s string) string { return s[strings.LastIndex(s, "/")+1:] }

// Publish implements Interface.
func (p *Layout) Publish(ctx context.Context, img v1.Image) (Result, error) {
	digest, err := imageDigest(img)
	if err != nil {
		return Result{}, err
	}
	lp, err := layout.FromPath(p.dir)
	if err != nil {
		if err := os.MkdirAll(p.dir, 0o755); err != nil {
			return Result{}, fmt.Errorf("writing OCI layout: %w", err)
		}
		if lp, err = layout.Write(p.dir, empty.Index); err != nil {
			return Result{}, fmt.Errorf("writing OCI layout %s: %w", p.dir, err)
		}
	}
	err = lp.ReplaceImage(img, match.Annotation(RefNameAnnotation, p.tag),
		layout.WithAnnotations(map[string]string{RefNameAnnotation: p.tag}))
	if err != nil {
		return Result{}, fmt.Errorf("writing OCI layout %s: %w", p.dir, err)
	}
	return Result{References: []string{"oci:" + p.dir + ":" + p.tag + "@" + digest}, Digest: digest}, nil
}

// Close implements Interface.
func (p *Layout) Close() error { return nil }
