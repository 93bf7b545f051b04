package base

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/langbuild/langbuild/image"
	"github.com/langbuild/langbuild/layering"
)

// NonrootUID is the user distroless images run as.
const NonrootUID = 65532

// StaticPlan is the content of builtin:static: what a static binary needs to
// run as nonroot, and nothing else.
func StaticPlan() *layering.Plan {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
	return &layering.Plan{
		Layers: []layering.Layer{{
			Name: "langbuild static base",
			Entries: []layering.Entry{
				{Path: "/etc/passwd", Type: layering.TypeFile, Data: []byte(passwd)},
				{Path: "/etc/group", Type: layering.TypeFile, Data: []byte(group)},
				{Path: "/etc/os-release", Type: layering.TypeFile, Data: []byte("ID=langbuild-static\nNAME=\"langbuild static\"\n")},
				{Path: "/home/nonroot", Type: layering.TypeDir, Mode: 0o700, UID: NonrootUID, GID: NonrootUID},
				{Path: "/root", Type: layering.TypeDir, Mode: 0o700},
				{Path: "/tmp", Type: layering.TypeDir, Mode: fs.ModeSticky | 0o777},
			},
		}},
	}
}

func builtin(ctx context.Context, name string, opts Options) (image.Base, error) {
	if name != "static" {
		return image.Base{}, fmt.Errorf("unknown built-in base %q: the built-in base is builtin:static", name)
	}
	// The generated base is always stamped with the default time, so its digest
	// is the same for every build, whatever SOURCE_DATE_EPOCH says.
	b, err := layering.NewBuilder(opts.Cache)
	if err != nil {
		return image.Base{}, err
	}
	blobs, err := b.Build(ctx, StaticPlan())
	if err != nil {
		return image.Base{}, fmt.Errorf("generating builtin:static: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return image.Base{}, err
	}
	cf = cf.DeepCopy()
	cf.OS = opts.Platform.OS
	cf.Architecture = opts.Platform.Architecture
	cf.Variant = opts.Platform.Variant
	cf.Config.User = fmt.Sprint(NonrootUID)
	cf.Config.WorkingDir = "/home/nonroot"
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return image.Base{}, err
	}
	l, err := image.Layer(blobs[0], types.OCILayer)
	if err != nil {
		return image.Base{}, err
	}
	if img, err = mutate.Append(img, mutate.Addendum{Layer: l, MediaType: types.OCILayer}); err != nil {
		return image.Base{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return image.Base{}, err
	}
	return image.Base{Image: img, Name: "builtin:static", Digest: d.String()}, nil
}
