package pipeline

import (
	"testing"

	"github.com/langbuild/langbuild/layering"
)

func TestDefaultBase(t *testing.T) {
	defaults := map[string]string{"go": "static", "java": "java17", "java21": "java21"}
	for _, tc := range []struct {
		lang, release, want string
	}{
		{"go", "", "static"},
		{"java", "", "java17"},
		{"java", "17", "java17"},
		{"java", "21", "java21"},
		{"java", "25", "java21"},
		{"java", "8", "java17"},
	} {
		p := &layering.Plan{Facts: map[string]string{"java.release": tc.release}}
		if got := defaultBase(tc.lang, p, defaults); got != tc.want {
			t.Errorf("%s release %q: %s, want %s", tc.lang, tc.release, got, tc.want)
		}
	}
}
