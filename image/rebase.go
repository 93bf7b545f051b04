package image

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ErrNoBase is returned by BaseOf for an image that does not record its base.
var ErrNoBase = errors.New("the image does not name its base (no org.opencontainers.image.base.name/digest annotations); rebase works on images langbuild built")

// BaseOf returns the base name and digest an image records in its annotations.
func BaseOf(img v1.Image) (name, digest string, err error) {
	m, err := img.Manifest()
	if err != nil {
		return "", "", err
	}
	name, digest = m.Annotations[AnnotationBaseName], m.Annotations[AnnotationBaseDigest]
	if name == "" || digest == "" {
		return "", "", ErrNoBase
	}
	return name, digest, nil
}

// Rebase moves orig from oldBase onto newBase without touching its own
// layers: the result has newBase's layers, then orig's layers above
// oldBase's, with their history; orig's config, where environment variables
// orig inherited unchanged from oldBase take newBase's values; newBase's
// platform and media types; and annotations naming newBase.
func Rebase(orig v1.Image, oldBase, newBase Base) (v1.Image, error) {
	origLayers, err := orig.Layers()
	if err != nil {
		return nil, err
	}
	oldLayers, err := oldBase.Image.Layers()
	if err != nil {
		return nil, err
	}
	if len(oldLayers) > len(origLayers) {
		return nil, fmt.Errorf("the image is not built on %s: it has fewer layers", oldBase.Name)
	}
	for i, l := range oldLayers {
		a, err := l.Digest()
		if err != nil {
			return nil, err
		}
		b, err := origLayers[i].Digest()
		if err != nil {
			return nil, err
		}
		if a != b {
			return nil, fmt.Errorf("the image is not built on %s@%s: layer %d differs", oldBase.Name, oldBase.Digest, i)
		}
	}
	origCF, err := orig.ConfigFile()
	if err != nil {
		return nil, err
	}
	oldCF, err := oldBase.Image.ConfigFile()
	if err != nil {
		return nil, err
	}
	newCF, err := newBase.Image.ConfigFile()
	if err != nil {
		return nil, err
	}
	mt, err := newBase.Image.MediaType()
	if err != nil {
		return nil, err
	}
	layerType := types.OCILayer
	if mt == types.DockerManifestSchema2 {
		layerType = types.DockerLayer
	}

	cf := newCF.DeepCopy()
	cf.Config = *origCF.Config.DeepCopy()
	cf.Config.Env = rebaseEnv(origCF.Config.Env, oldCF.Config.Env, newCF.Config.Env)
	cf.Created = origCF.Created
	cf.Author = origCF.Author
	img, err := mutate.ConfigFile(newBase.Image, cf)
	if err != nil {
		return nil, err
	}
	// orig's own history: what follows the old base's entries.
	hist := origCF.History
	if len(oldCF.History) <= len(hist) {
		hist = hist[len(oldCF.History):]
	}
	var adds []mutate.Addendum
	top := origLayers[len(oldLayers):]
	hi := 0
	for _, l := range top {
		var h v1.History
		for hi < len(hist) && hist[hi].EmptyLayer {
			hi++
		}
		if hi < len(hist) {
			h = hist[hi]
			hi++
		}
		if lt, err := l.MediaType(); err == nil && lt != layerType {
			l = retyped{l, layerType}
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: h, MediaType: layerType})
	}
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, err
	}
	anns := map[string]string{}
	if m, err := orig.Manifest(); err == nil {
		for k, v := range m.Annotations {
			anns[k] = v
		}
	}
	anns[AnnotationBaseName] = newBase.Name
	anns[AnnotationBaseDigest] = newBase.Digest
	return mutate.Annotations(img, anns).(v1.Image), nil
}

// retyped presents a layer under another media type (the bytes are the same;
// only the manifest's label follows the new base).
type retyped struct {
	v1.Layer
	mt types.MediaType
}

func (r retyped) MediaType() (types.MediaType, error) { return r.mt, nil }

// Descriptor keeps what partial would compute, with the new media type.
func (r retyped) Descriptor() (*v1.Descriptor, error) {
	d, err := partial.Descriptor(r.Layer)
	if err != nil {
		return nil, err
	}
	d.MediaType = r.mt
	return d, nil
}

// rebaseEnv: a variable orig has exactly as the old base had it was inherited,
// so it takes the new base's value (or goes, if the new base dropped it);
// anything orig set itself stays; the new base's new variables come in.
func rebaseEnv(orig, oldBase, newBase []string) []string {
	oldVals, newVals := envMap(oldBase), envMap(newBase)
	seen := map[string]bool{}
	var out []string
	for _, kv := range orig {
		k, _, _ := strings.Cut(kv, "=")
		seen[k] = true
		if ov, ok := oldVals[k]; ok && ov == kv {
			if nv, ok := newVals[k]; ok {
				out = append(out, nv)
			}
			continue
		}
		out = append(out, kv)
	}
	for _, kv := range newBase {
		k, _, _ := strings.Cut(kv, "=")
		if _, inOld := oldVals[k]; !seen[k] && !inOld {
			out = append(out, kv)
		}
	}
	return out
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		m[k] = kv
	}
	return m
}
