package base

import "fmt"

// JavaPreset, in debian:java[+PKG,...], stands for the Debian Java preset
// that runs the project being built: a build replaces it with the lowest
// of JavaBases' presets for the release the project targets.
const JavaPreset = "java"

// JavaBase is a base that runs Java code compiled for releases up to Release.
type JavaBase struct {
	// Release is the Java the base ships.
	Release int
	// Distroless is distroless's image of that Java, "" when there is none.
	Distroless string
	// Preset is the Debian preset (debian:PRESET) of that Java.
	Preset string
}

// JavaBases are the Java bases langbuild knows, oldest Java first: a
// distroless image for 17, 21 and 25, and a Debian preset for every Java
// the reachable Debian releases ship (11 in bullseye, 17 in bookworm, 21
// and 25 in trixie).
var JavaBases = []JavaBase{
	{Release: 11, Preset: "java11"},
	{Release: 17, Distroless: DefaultJava17, Preset: "java17"},
	{Release: 21, Distroless: DefaultJava21, Preset: "java21"},
	{Release: 25, Distroless: DefaultJava25, Preset: "java25"},
}

// DefaultJavaRelease is the Java a project that names no release gets.
const DefaultJavaRelease = 17

// ForJava returns the lowest base that runs code compiled for release (0:
// not known, DefaultJavaRelease): with debian set, the lowest Debian
// preset; otherwise the lowest with a distroless image. A release newer
// than every base's is a *JavaTooNewError.
func ForJava(release int, debian bool) (JavaBase, error) {
	if release <= 0 {
		release = DefaultJavaRelease
	}
	for _, b := range JavaBases {
		if b.Release >= release && (debian || b.Distroless != "") {
			return b, nil
		}
	}
	return JavaBase{}, &JavaTooNewError{Release: release, Newest: JavaBases[len(JavaBases)-1]}
}

// JavaTooNewError: the project targets a Java no known base runs.
type JavaTooNewError struct {
	Release int
	Newest  JavaBase
}

func (e *JavaTooNewError) Error() string {
	return fmt.Sprintf("no base langbuild knows runs Java %d: the newest are %s and debian:%s (Java %d)",
		e.Release, e.Newest.Distroless, e.Newest.Preset, e.Newest.Release)
}
