package base

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/langbuild/langbuild/image"
)

const refNameAnnotation = "org.opencontainers.image.ref.name"

// fromLayout reads oci:DIR[:TAG]: the image (or index, resolved by platform)
// whose ref name annotation is TAG, or the only one in the layout.
func fromLayout(spec string, opts Options) (image.Base, error) {
	dir, tag := spec, ""
	if i := strings.LastIndex(spec, ":"); i > 0 {
		if _, err := os.Stat(spec); err != nil {
			dir, tag = spec[:i], spec[i+1:]
		}
	}
	where := "oci:" + spec
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return image.Base{}, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return image.Base{}, fmt.Errorf("reading %s/index.json: %w", dir, err)
	}
	var found []int
	for i, d := range im.Manifests {
		if tag == "" || d.Annotations[refNameAnnotation] == tag {
			found = append(found, i)
		}
	}
	switch {
	case len(found) == 0 && tag != "":
		return image.Base{}, fmt.Errorf("%s: no image has ref name %q", where, tag)
	case len(found) == 0:
		return image.Base{}, fmt.Errorf("%s: the layout holds no image", where)
	case len(found) > 1:
		return image.Base{}, fmt.Errorf("%s: the layout holds %d images; name one as oci:DIR:TAG", where, len(found))
	}
	desc := im.Manifests[found[0]]
	if desc.MediaType.IsIndex() {
		child, err := idx.ImageIndex(desc.Digest)
		if err != nil {
			return image.Base{}, fmt.Errorf("%s: %w", where, err)
		}
		cim, err := child.IndexManifest()
		if err != nil {
			return image.Base{}, fmt.Errorf("%s: %w", where, err)
		}
		if desc, err = pickPlatform(cim, opts.Platform, where); err != nil {
			return image.Base{}, err
		}
		img, err := child.Image(desc.Digest)
		if err != nil {
			return image.Base{}, fmt.Errorf("%s: %w", where, err)
		}
		return image.Base{Image: img, Name: where, Digest: desc.Digest.String()}, nil
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		return image.Base{}, fmt.Errorf("%s: %w", where, err)
	}
	if err := checkPlatform(img, opts.Platform, where); err != nil {
		return image.Base{}, err
	}
	return image.Base{Image: img, Name: where, Digest: desc.Digest.String()}, nil
}

// fromTarball reads the first image of a docker-loadable tarball.
func fromTarball(file string) (image.Base, error) {
	img, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		return image.Base{}, fmt.Errorf("reading image tarball %s: %w", file, err)
	}
	d, err := img.Digest()
	if err != nil {
		return image.Base{}, fmt.Errorf("reading image tarball %s: %w", file, err)
	}
	return image.Base{Image: img, Name: "tar:" + file, Digest: d.String()}, nil
}
