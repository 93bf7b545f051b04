package image

import (
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/langbuild/langbuild/layering"
)

// blobLayer is a layer built by layering: its digest, diffID and size are
// already known, so ggcr never reads or re-compresses it to learn them.
type blobLayer struct {
	blob   layering.Blob
	digest v1.Hash
	diffID v1.Hash
	mt     types.MediaType
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *blobLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *blobLayer) Size() (int64, error)                { return l.blob.Size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.mt, nil }
func (l *blobLayer) Compressed() (io.ReadCloser, error)  { return l.blob.Open() }

// Layer turns a built blob into a v1.Layer of the given media type.
func Layer(b layering.Blob, mt types.MediaType) (v1.Layer, error) {
	digest, err := v1.NewHash(b.Digest)
	if err != nil {
		return nil, err
	}
	diffID, err := v1.NewHash(b.DiffID)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToLayer(&blobLayer{blob: b, digest: digest, diffID: diffID, mt: mt})
}
