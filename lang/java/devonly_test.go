package java

import (
	"strings"
	"testing"
)

func TestDropDevOnly(t *testing.T) {
	arts := []Artifact{
		{GroupID: "org.springframework.boot", ArtifactID: "spring-boot-starter-web", Version: "3.5.7"},
		{GroupID: "org.springframework.boot", ArtifactID: "spring-boot-devtools", Version: "3.5.7", Optional: true},
		{GroupID: "org.springframework.boot", ArtifactID: "spring-boot-docker-compose", Version: "3.5.7", Optional: true},
		{GroupID: "org.springframework.boot", ArtifactID: "spring-boot", Version: "3.5.7"},
	}
	names := func(as []Artifact) string {
		var s []string
		for _, a := range as {
			s = append(s, a.ArtifactID)
		}
		return strings.Join(s, " ")
	}
	got, notes := dropDevOnly(arts, nil, false)
	if names(got) != "spring-boot-starter-web spring-boot" || len(notes) != 2 || !strings.Contains(notes[0], "spring-boot-devtools") || !strings.Contains(notes[0], "--keep-dev-deps") {
		t.Errorf("default: %s %q", names(got), notes)
	}
	if got, notes := dropDevOnly(arts, nil, true); len(got) != 4 || notes != nil {
		t.Errorf("--keep-dev-deps: %s %q", names(got), notes)
	}

	// The project's Spring Boot plugin keeps devtools.
	tree, err := parseTree([]byte(`<project><build><plugins><plugin><groupId>org.springframework.boot</groupId><artifactId>spring-boot-maven-plugin</artifactId>
	  <configuration><excludeDevtools>false</excludeDevtools></configuration></plugin></plugins></build></project>`))
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Plugins: tree.child("build").children("plugins", "plugin")}
	got, notes = dropDevOnly(arts, bootKeeps(m), false)
	if names(got) != "spring-boot-starter-web spring-boot-devtools spring-boot" || len(notes) != 1 {
		t.Errorf("excludeDevtools false: %s %q", names(got), notes)
	}
}
