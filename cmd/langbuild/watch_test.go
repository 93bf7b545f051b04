package main

import "testing"

func TestSkipForWatch(t *testing.T) {
	for _, c := range []struct {
		rel         string
		maven, skip bool
	}{
		{"main.go", false, false},
		{"src/index.js", false, false},
		{"node_modules/x/index.js", false, true},
		{".git/HEAD", false, true},
		{"a/.#main.go", false, true},
		{"pom.xml", true, false},
		{"target/classes/A.class", true, false},
		{"target/maven-status/x", true, true},
		{"src", true, false},
		{"src/main", true, false},
		{"src/main/java/A.java", true, true},
		{"src/test/java/ATest.java", true, true},
		{"src/main/langbuild/etc/app.conf", true, false},
		{"src/main/jib/etc/app.conf", true, false},
	} {
		if got := skipForWatch(c.rel, false, c.maven); got != c.skip {
			t.Errorf("skipForWatch(%q, maven=%v) = %v, want %v", c.rel, c.maven, got, c.skip)
		}
	}
}
