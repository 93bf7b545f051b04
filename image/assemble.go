// Package image assembles a v1.Image from a base image, a layering.Plan and
// the layer blobs built from it.
package image

import (
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/langbuild/langbuild/layering"
)

// Annotation keys written on every image, so rebase can find the base later.
const (
	AnnotationBaseName   = "org.opencontainers.image.base.name"
	AnnotationBaseDigest = "org.opencontainers.image.base.digest"
)

// Base is the image an application is built on, with the name and digest
// recorded in the result's annotations.
type Base struct {
	Image  v1.Image
	Name   string
	Digest string
}

// Options for Assemble.
type Options struct {
	// Created is the image's creation time and the time of its history
	// entries. The zero value means the Unix epoch.
	Created time.Time
}

// Assemble appends the blobs (built from plan's non-empty layers, in order) to
// the base, with one history entry naming each layer, and applies the plan's
// config. The result uses OCI media types, or Docker ones when the base is a
// Docker image, since some registries reject manifests that mix the two.
func Assemble(base Base, plan *layering.Plan, blobs []layering.Blob, opts Options) (v1.Image, error) {
	created := opts.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	img := base.Image
	mt, err := img.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading base manifest: %w", err)
	}
	layerType := types.OCILayer
	if mt == types.DockerManifestSchema2 {
		layerType = types.DockerLayer
	} else if mt != types.OCIManifestSchema1 {
		return nil, fmt.Errorf("base image has unsupported manifest type %s", mt)
	}

	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading base config: %w", err)
	}
	cf = cf.DeepCopy()
	applyConfig(&cf.Config, plan.Config)
	cf.Created = v1.Time{Time: created.UTC()}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}

	adds := make([]mutate.Addendum, 0, len(blobs))
	for _, b := range blobs {
		l, err := Layer(b, layerType)
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", b.Name, err)
		}
		adds = append(adds, mutate.Addendum{
			Layer:     l,
			MediaType: layerType,
			History: v1.History{
				Created:   v1.Time{Time: created.UTC()},
				CreatedBy: "langbuild",
				Comment:   b.Name,
			},
		})
	}
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, err
	}
	anns := map[string]string{}
	if base.Name != "" {
		anns[AnnotationBaseName] = base.Name
	}
	if base.Digest != "" {
		anns[AnnotationBaseDigest] = base.Digest
	}
	if len(anns) > 0 {
		img = mutate.Annotations(img, anns).(v1.Image)
	}
	return img, nil
}

// applyConfig lays the plan's config over the base's.
func applyConfig(c *v1.Config, p layering.Config) {
	if p.Entrypoint != nil {
		c.Entrypoint = p.Entrypoint
		// A base's Cmd was written for the base's entrypoint, not ours.
		c.Cmd = nil
	}
	if p.Cmd != nil {
		c.Cmd = p.Cmd
	}
	c.Env = mergeEnv(c.Env, p.Env)
	if p.WorkingDir != "" {
		c.WorkingDir = p.WorkingDir
	}
	if p.User != "" {
		c.User = p.User
	}
	if len(p.Ports) > 0 {
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		for _, port := range p.Ports {
			if !strings.Contains(port, "/") {
				port += "/tcp"
			}
			c.ExposedPorts[port] = struct{}{}
		}
	}
	if len(p.Labels) > 0 {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for k, v := range p.Labels {
			c.Labels[k] = v
		}
	}
}

// mergeEnv replaces the base's value of each key the plan sets, keeping the
// base's order, and appends new keys in sorted order.
func mergeEnv(base, add []string) []string {
	if len(add) == 0 {
		return base
	}
	vals := map[string]string{}
	var keys []string
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = kv
	}
	out := make([]string, 0, len(base)+len(add))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := vals[k]; ok {
			out = append(out, v)
			delete(vals, k)
			continue
		}
		out = append(out, kv)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v, ok := vals[k]; ok {
			out = append(out, v)
		}
	}
	return out
}
