package publish

import "strings"

// LocalPath is the file or directory that output writes on this machine:
// the directory of oci:DIR[:TAG], the file of tar:FILE; "" for a registry.
func LocalPath(output string) string {
	if spec, ok := strings.CutPrefix(output, "oci:"); ok {
		dir, _ := splitLayoutSpec(spec)
		return dir
	}
	if file, ok := strings.CutPrefix(output, "tar:"); ok {
		return file
	}
	return ""
}

// splitLayoutSpec splits DIR[:TAG]; a colon followed by a slash is part of
// the directory.
func splitLayoutSpec(spec string) (dir, tag string) {
	if i := strings.LastIndex(spec, ":"); i > 0 && !strings.Contains(spec[i:], "/") {
		return spec[:i], spec[i+1:]
	}
	return spec, ""
}
