package java

import (
	"os"
	"testing"
)

// BenchmarkResolve resolves a real project's classpath natively, from poms
// read afresh each time (no cached resolution): the cost of analysing a
// project whose poms changed. The project is $LANGBUILD_BENCH_POM (say
// spring-petclinic's pom.xml), resolved from the user's local repository,
// which must hold its dependencies (build it with Maven once).
//
//	LANGBUILD_BENCH_POM=$PWD/pom.xml go test -run - -bench Resolve ./lang/java
func BenchmarkResolve(b *testing.B) {
	pom := os.Getenv("LANGBUILD_BENCH_POM")
	if pom == "" {
		b.Skip("LANGBUILD_BENCH_POM names no pom.xml")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		b.Fatal(err)
	}
	repo := LocalRepository(home, "")
	sys := map[string]string{"java.version": "17.0.15", "os.name": "Linux", "os.arch": "amd64"}
	var n int
	for i := 0; i < b.N; i++ {
		cp, err := nativeClasspath(repo, pom, sys)
		if err != nil {
			b.Fatal(err)
		}
		n = len(cp)
	}
	b.ReportMetric(float64(n), "jars")
}
