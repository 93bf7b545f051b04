package java

import "strings"

// devOnly lists the artifacts Spring Boot's repackager leaves out of an
// application unless told otherwise (and Jib's Spring Boot extension with
// it): tools for development that must not run in production.
var devOnly = []struct {
	ga    string // groupId:artifactId
	param string // the spring-boot-maven-plugin parameter that keeps it when false
	what  string
}{
	{"org.springframework.boot:spring-boot-devtools", "excludeDevtools", "Spring Boot's developer tools (automatic restart, live reload, remote debugging)"},
	{"org.springframework.boot:spring-boot-docker-compose", "excludeDockerCompose", "Spring Boot's Docker Compose support, which starts services for development"},
}

// bootKeeps lists the devOnly artifacts the project's spring-boot-maven-plugin
// keeps (<excludeDevtools>false</excludeDevtools> and the like).
func bootKeeps(m *Model) []string {
	var keep []string
	for _, pl := range m.Plugins {
		if pl.text("artifactId") != "spring-boot-maven-plugin" {
			continue
		}
		confs := append([]*Node{pl.child("configuration")}, pl.children("executions", "execution", "configuration")...)
		for _, c := range confs {
			if c == nil {
				continue
			}
			for _, d := range devOnly {
				if strings.TrimSpace(c.text(d.param)) == "false" {
					keep = append(keep, d.ga)
				}
			}
		}
	}
	return keep
}

// dropDevOnly leaves the development-only artifacts out of the classpath,
// unless keepAll or the project's Spring Boot plugin keeps them, and says
// why for each one left out.
func dropDevOnly(arts []Artifact, keep []string, keepAll bool) ([]Artifact, []string) {
	if keepAll {
		return arts, nil
	}
	var out []Artifact
	var notes []string
next:
	for _, a := range arts {
		ga := a.GroupID + ":" + a.ArtifactID
		for _, d := range devOnly {
			if ga != d.ga || contains(keep, ga) {
				continue
			}
			notes = append(notes, "left out "+a.String()+": "+d.what+", left out of applications as Spring Boot's repackager does (--keep-dev-deps or <"+d.param+">false</"+d.param+"> keeps it)")
			continue next
		}
		out = append(out, a)
	}
	return out, notes
}
