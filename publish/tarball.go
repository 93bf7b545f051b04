package publish

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Tarball writes a docker-loadable tarball (`docker load -i FILE`). It writes
// to a temp file beside FILE and renames it, so FILE is never left half written.
type Tarball struct {
	file string
	tag  name.Tag
}

// NewTarball returns a publisher for FILE; the image is named opts.Name (or
// "langbuild/image:latest") in the tarball's RepoTags.
func NewTarball(file string, opts Options) (*Tarball, error) {
	if file == "" {
		return nil, fmt.Errorf("output tar: needs a file name")
	}
	n := opts.Name
	if n == "" {
		n = "langbuild/image:latest"
	}
	tag, err := name.NewTag(n)
	if err != nil {
		return nil, fmt.Errorf("image name %q: %w", n, err)
	}
	return &Tarball{file: file, tag: tag}, nil
}

// Publish implements Interface.
func (p *Tarball) Publish(ctx context.Context, img v1.Image) (Result, error) {
	digest, err := imageDigest(img)
	if err != nil {
		return Result{}, err
	}
	f, err := os.CreateTemp(filepath.Dir(p.file), "."+filepath.Base(p.file)+".*")
	if err != nil {
		return Result{}, fmt.Errorf("writing tarball %s: %w", p.file, err)
	}
	defer os.Remove(f.Name())
	if err := tarball.Write(p.tag, img, f); err != nil {
		f.Close()
		return Result{}, fmt.Errorf("writing tarball %s: %w", p.file, err)
	}
	if err := f.Close(); err != nil {
		return Result{}, fmt.Errorf("writing tarball %s: %w", p.file, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return Result{}, err
	}
	if err := os.Rename(f.Name(), p.file); err != nil {
		return Result{}, fmt.Errorf("writing tarball %s: %w", p.file, err)
	}
	return Result{References: []string{"tar:" + p.file + "@" + digest}, Digest: digest}, nil
}

// Close implements Interface.
func (p *Tarball) Close() error { return nil }
