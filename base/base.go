// Package base resolves the image an application is built on: a registry
// reference (pulled through a local cache), an OCI layout, a docker tarball, or
// a base langbuild generates itself.
package base

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/langbuild/langbuild/image"
	"github.com/langbuild/langbuild/layering"
	"github.com/langbuild/langbuild/transport"
)

// The bases used when none is given: distroless, as a user coming from Jib
// or ko expects. A Java project gets the lowest of the Java ones that runs
// the release it targets (see ForJava), a Node project the lowest that has
// a Node its engines.node accepts (see ForNodeDistroless). Any of them can
// be replaced by a Debian-built one (debian:static, debian:java,
// debian:node) for offline builds.
const (
	DefaultGo     = "gcr.io/distroless/static-debian12:nonroot"
	DefaultJava17 = "gcr.io/distroless/java17-debian12:nonroot"
	DefaultJava21 = "gcr.io/distroless/java21-debian12:nonroot"
	DefaultJava25 = "gcr.io/distroless/java25-debian13:nonroot"
	DefaultNode   = "gcr.io/distroless/nodejs20-debian12:nonroot"
)

// Options for Resolve.
type Options struct {
	// Platform picks the image from a multi-platform base and is written into
	// generated bases. Zero means linux/amd64.
	Platform v1.Platform
	// Cache keeps pulled manifests, configs and layers, and generated layers.
	Cache *layering.Cache
	// Registry settings for pulling.
	Registry transport.Options
	// Debian settings for debian: bases.
	Debian DebianOptions
}

// Resolve returns the base image named by spec:
//
//	builtin:static      a minimal base generated offline (passwd, group, /tmp, /home/nonroot)
//	oci:DIR[:TAG]       an image in an OCI layout, by its ref name annotation
//	tar:FILE            the first image of a docker-loadable tarball
//	debian:PRESET[+PKG,...]  built from Debian packages (static, cc, java11, java17, java21, java25, nodejs, nodejsNN), once, then cached
//	REFERENCE           an image in a registry, cached by digest
func Resolve(ctx context.Context, spec string, opts Options) (image.Base, error) {
	if opts.Platform.OS == "" {
		opts.Platform = v1.Platform{OS: "linux", Architecture: "amd64"}
	}
	if opts.Cache == nil {
		return image.Base{}, fmt.Errorf("resolving base %s: no cache", spec)
	}
	switch {
	case strings.HasPrefix(spec, "builtin:"):
		return builtin(ctx, strings.TrimPrefix(spec, "builtin:"), opts)
	case strings.HasPrefix(spec, "oci:"):
		return fromLayout(strings.TrimPrefix(spec, "oci:"), opts)
	case strings.HasPrefix(spec, "debian:"):
		return fromDebian(ctx, strings.TrimPrefix(spec, "debian:"), opts)
	case strings.HasPrefix(spec, "tar:"):
		return fromTarball(strings.TrimPrefix(spec, "tar:"))
	}
	return fromRegistry(ctx, spec, opts)
}

// pickPlatform chooses the manifest for the platform from an index.
func pickPlatform(idx *v1.IndexManifest, want v1.Platform, where string) (v1.Descriptor, error) {
	var seen []string
	for _, d := range idx.Manifests {
		if d.Platform == nil {
			continue
		}
		seen = append(seen, d.Platform.String())
		if d.Platform.OS == want.OS && d.Platform.Architecture == want.Architecture &&
			(want.Variant == "" || d.Platform.Variant == want.Variant) {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("%s has no image for %s (it has: %s)", where, want, strings.Join(seen, ", "))
}

// checkPlatform refuses a single-platform base that does not match the target.
func checkPlatform(img v1.Image, want v1.Platform, where string) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading config of %s: %w", where, err)
	}
	if cf.OS == "" && cf.Architecture == "" {
		return nil
	}
	if cf.OS != want.OS || cf.Architecture != want.Architecture {
		return fmt.Errorf("%s is for %s/%s, not %s", where, cf.OS, cf.Architecture, want)
	}
	return nil
}

// sniffMediaType reads a manifest's media type from its content, for manifests
// kept in the cache without their HTTP headers.
func sniffMediaType(raw []byte) (types.MediaType, error) {
	var m struct {
		MediaType types.MediaType   `json:"mediaType"`
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", err
	}
	switch {
	case m.MediaType != "":
		return m.MediaType, nil
	case m.Manifests != nil:
		return types.OCIImageIndex, nil
	}
	return types.OCIManifestSchema1, nil
}
