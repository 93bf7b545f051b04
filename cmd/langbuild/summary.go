package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/langbuild/langbuild/pipeline"
	"github.com/langbuild/langbuild/publish"
)

// summary is what --json prints and --summary-file writes: what a CI needs.
type summary struct {
	Language   string         `json:"language,omitempty"`
	References []string       `json:"references"`
	Digest     string         `json:"digest"`
	ImageID    string         `json:"imageID"`
	Tags       []string       `json:"tags,omitempty"`
	Base       summaryBase    `json:"base"`
	Layers     []summaryLayer `json:"layers,omitempty"`
	TimingsMS  map[string]int `json:"timingsMs,omitempty"`
}

type summaryBase struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

type summaryLayer struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	// Built is false when the layer came from the cache unchanged.
	Built bool `json:"built"`
	// Pushed is true when a registry push uploaded it now.
	Pushed bool `json:"pushed"`
}

func summarize(res *pipeline.Result, outputs, extraTags []string) (*summary, error) {
	s, err := newSummary(res.Image, res.Publish, res.Base.Name, res.Base.Digest, outputs, extraTags)
	if err != nil {
		return nil, err
	}
	s.Language = res.Language
	s.TimingsMS = map[string]int{
		"analyze": int(res.Timings.Analyze.Milliseconds()), "base": int(res.Timings.Base.Milliseconds()),
		"layers": int(res.Timings.Layers.Milliseconds()), "assemble": int(res.Timings.Assemble.Milliseconds()),
		"publish": int(res.Timings.Publish.Milliseconds()), "hash": int(res.Timings.Hash.Milliseconds()),
		"compress": int(res.Timings.Compress.Milliseconds()),
	}
	for _, b := range res.Blobs {
		s.Layers = append(s.Layers, summaryLayer{Name: b.Name, Digest: b.Digest, Size: b.Size, Built: !b.Cached,
			Pushed: slices.Contains(res.Publish.Written, b.Digest)})
	}
	return s, nil
}

// newSummary is the summary of img, published as pub says, on the base
// named baseName (baseDigest), for any verb that writes an image; the tags
// are the registry outputs' and the extra tags on their repositories.
func newSummary(img v1.Image, pub publish.Result, baseName, baseDigest string, outputs, extraTags []string) (*summary, error) {
	cfg, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	s := &summary{References: pub.References, Digest: pub.Digest, ImageID: cfg.String(),
		Base: summaryBase{Name: baseName, Digest: baseDigest}}
	if s.Digest == "" {
		d, err := img.Digest()
		if err != nil {
			return nil, err
		}
		s.Digest = d.String()
	}
	for _, o := range outputs {
		if strings.HasPrefix(o, "oci:") || strings.HasPrefix(o, "tar:") {
			continue
		}
		s.Tags = append(s.Tags, o)
		repo := o
		if i := strings.LastIndex(o, ":"); i > strings.LastIndex(o, "/") {
			repo = o[:i]
		}
		for _, t := range extraTags {
			s.Tags = append(s.Tags, repo+":"+t)
		}
	}
	return s, nil
}

// publishedBlobs says, for --timings, what registry pushes did with the
// image's blobs: uploaded, mounted from the base's repository (no bytes
// sent), or found there already; "" when no output is a registry.
func publishedBlobs(res *pipeline.Result, outputs []string) (string, error) {
	registries := 0
	for _, o := range outputs {
		if !strings.HasPrefix(o, "oci:") && !strings.HasPrefix(o, "tar:") {
			registries++
		}
	}
	if registries == 0 {
		return "", nil
	}
	m, err := res.Image.Manifest()
	if err != nil {
		return "", err
	}
	distinct := map[v1.Hash]bool{m.Config.Digest: true}
	for _, l := range m.Layers {
		distinct[l.Digest] = true // a layer may appear twice
	}
	blobs := len(distinct) * registries
	written, mounted := len(res.Publish.Written), len(res.Publish.Mounted)
	return fmt.Sprintf("%d blobs uploaded, %d mounted, %d already there", written-mounted, mounted, max(blobs-written, 0)), nil
}

// skaffold applies skaffold's custom-builder contract when $IMAGE is set and
// no output is given: build $BUILD_CONTEXT (unless a directory is named),
// push $IMAGE when $PUSH_IMAGE is true, else write it into an OCI layout in
// the project (.langbuild/oci, tagged with $IMAGE's tag); $PLATFORMS sets the
// platform unless --platform does.
func (f *buildFlags) skaffold(dir *string, dirGiven, platformGiven bool) error {
	image := os.Getenv("IMAGE")
	if image == "" || len(f.outputs) > 0 {
		return nil
	}
	if ctx := os.Getenv("BUILD_CONTEXT"); ctx != "" && !dirGiven {
		*dir = ctx
	}
	if p := os.Getenv("PLATFORMS"); p != "" && !platformGiven {
		ps := strings.Split(p, ",")
		if len(ps) > 1 {
			return fmt.Errorf("PLATFORMS=%s: langbuild builds one platform at a time", p)
		}
		f.platform = ps[0]
	}
	if strings.EqualFold(os.Getenv("PUSH_IMAGE"), "true") {
		f.outputs = []string{image}
		return nil
	}
	tag := "latest"
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		tag = image[i+1:]
	}
	f.outputs = []string{"oci:" + *dir + "/.langbuild/oci:" + tag}
	f.name = image
	return nil
}
