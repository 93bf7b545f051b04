package node

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// What never goes into the app layer, whatever its name: images that
// langbuild (or another tool) wrote into the project, and environment files.
// An image written into the project (the skaffold route writes
// .langbuild/oci) would otherwise go into the next image, which then changes
// with every build and grows by the size of the last one.

// isLayout reports whether dir is an OCI image layout: it has an oci-layout
// file and an index.json. It costs one lstat for a directory that is not.
func isLayout(dir string) bool {
	if fi, err := os.Lstat(filepath.Join(dir, "oci-layout")); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	fi, err := os.Lstat(filepath.Join(dir, "index.json"))
	return err == nil && fi.Mode().IsRegular()
}

// tarballEntries is how many entries isImageTarball reads: ggcr's tarball
// (langbuild's tar: output) starts with its config, docker save with the
// layers of an OCI layout or a legacy layer directory.
const tarballEntries = 4

// isImageTarball reports whether file, a .tar file, is an image tarball
// (docker save, docker load's input, langbuild's tar: output), from the names
// of its first entries. Only their 512-byte headers are read; the reader
// seeks over their contents. (Analyzers do not import archive/tar, which
// STYLE.md keeps to layering; reading a name needs none of it.)
func isImageTarball(file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	var h [512]byte
	for i := 0; i < tarballEntries; i++ {
		if _, err := io.ReadFull(f, h[:]); err != nil {
			return false
		}
		name, size, ok := tarHeader(h[:])
		if !ok {
			return false
		}
		if imageTarballEntry(name) {
			return true
		}
		if _, err := f.Seek((size+511)/512*512, io.SeekCurrent); err != nil {
			return false
		}
	}
	return false
}

// tarHeader reads an entry's name (with its ustar prefix) and size from a
// tar header block, which must have a valid checksum (an end-of-archive
// block has none).
func tarHeader(h []byte) (name string, size int64, ok bool) {
	field := func(b []byte) string {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
	octal := func(b []byte) (int64, bool) {
		n, err := strconv.ParseInt(strings.TrimSpace(field(b)), 8, 64)
		return n, err == nil
	}
	sum, ok := octal(h[148:156])
	if !ok {
		return "", 0, false
	}
	var got int64
	for i, c := range h {
		if i >= 148 && i < 156 {
			c = ' '
		}
		got += int64(c)
	}
	if got != sum {
		return "", 0, false
	}
	if size, ok = octal(h[124:136]); !ok {
		return "", 0, false
	}
	name = field(h[0:100])
	if string(h[257:262]) == "ustar" {
		if prefix := field(h[345:500]); prefix != "" {
			name = prefix + "/" + name
		}
	}
	return name, size, true
}

// imageTarballEntry reports whether name is an entry only image tarballs
// have: the manifest, the OCI layout marker and index, docker's repositories
// file, a config named by its digest (ggcr's "sha256:<hex>"), a blob of an
// OCI layout, or a legacy layer directory's files ("<hex>/layer.tar").
func imageTarballEntry(name string) bool {
	name = strings.TrimPrefix(name, "./")
	switch name {
	case "manifest.json", "oci-layout", "index.json", "repositories":
		return true
	}
	if h, ok := strings.CutPrefix(name, "sha256:"); ok && isHex64(h) {
		return true
	}
	if h, ok := strings.CutPrefix(name, "blobs/sha256/"); ok && isHex64(h) {
		return true
	}
	if h, f, ok := strings.Cut(name, "/"); ok && isHex64(h) && (f == "layer.tar" || f == "VERSION" || f == "json") {
		return true
	}
	return false
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isEnvFile reports whether name is a dotenv file (.env, .env.production),
// which holds secrets more often than not; the examples that are committed
// to show which variables to set are not.
func isEnvFile(name string) bool {
	if name == ".env" {
		return true
	}
	suffix, ok := strings.CutPrefix(name, ".env.")
	if !ok {
		return false
	}
	switch suffix {
	case "example", "sample", "template":
		return false
	}
	return true
}
