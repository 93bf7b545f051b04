package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vertxPom is a Vert.x 4 app started as its users start it: Vert.x's
// Launcher as the main class, with `run VERTICLE` from exec-maven-plugin,
// and Main-Class and Main-Verticle in the jar manifest, where the Launcher
// also looks for the verticle. args says whether the exec arguments are
// there.
func vertxPom(args bool) string {
	exec := ""
	if args {
		exec = `<arguments><argument>run</argument><argument>${main.verticle}</argument></arguments>`
	}
	return `<project><modelVersion>4.0.0</modelVersion>
  <groupId>dev.langbuild.test</groupId><artifactId>vertxapp</artifactId><version>1.0.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <main.verticle>dev.langbuild.MainVerticle</main.verticle>
    <launcher.class>io.vertx.core.Launcher</launcher.class>
  </properties>
  <dependencies>
    <dependency><groupId>io.vertx</groupId><artifactId>vertx-core</artifactId><version>4.5.24</version></dependency>
  </dependencies>
  <build><plugins>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version>
      <configuration><archive><manifestEntries>
        <Main-Class>${launcher.class}</Main-Class><Main-Verticle>${main.verticle}</Main-Verticle>
      </manifestEntries></archive></configuration></plugin>
    <plugin><groupId>org.codehaus.mojo</groupId><artifactId>exec-maven-plugin</artifactId><version>3.5.0</version>
      <configuration><mainClass>${launcher.class}</mainClass>` + exec + `</configuration></plugin>
  </plugins></build>
</project>`
}

const vertxVerticle = `package dev.langbuild;

import io.vertx.core.AbstractVerticle;

public class MainVerticle extends AbstractVerticle {
  @Override
  public void start() {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    vertx.createHttpServer().requestHandler(r -> r.response().end("hello from vert.x")).listen(port);
  }
}
`

// TestJavaVertxLauncher builds a Vert.x Launcher app with no flags beyond
// the base and the output: the Launcher runs the verticle the exec
// arguments name, and, without them, the one its manifest names.
func TestJavaVertxLauncher(t *testing.T) {
	needE2E(t)
	env := sharedDebianEnv(t)
	for _, tc := range []struct {
		name string
		args bool
		cmd  string
	}{
		{"exec arguments", true, "run dev.langbuild.MainVerticle"},
		{"manifest only", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src", "main", "java", "dev", "langbuild")
			os.MkdirAll(src, 0o755)
			if err := os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(vertxPom(tc.args)), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, "MainVerticle.java"), []byte(vertxVerticle), 0o644); err != nil {
				t.Fatal(err)
			}
			mvn(t, dir, "compile")
			layout := filepath.Join(t.TempDir(), "layout")
			mustBuild(t, dir, env, "build", "--from", "debian:java17", "-o", "oci:"+layout, "-q")
			cfg := imageConfig(t, layout)
			if got := strings.Join(cfg.Config.Cmd, " "); got != tc.cmd {
				t.Errorf("Cmd = %q, want %q", got, tc.cmd)
			}
			if got := cfg.Config.Entrypoint[len(cfg.Config.Entrypoint)-1]; got != "io.vertx.core.Launcher" {
				t.Errorf("main class %q, want io.vertx.core.Launcher", got)
			}
			port := freePort(t)
			serveImage(t, layout, "latest", fmt.Sprintf("PORT=%d", port))
			if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port), 60*time.Second); got != "hello from vert.x" {
				t.Errorf("GET / = %q", got)
			}
		})
	}
}

// ociConfig is the part of an image's configuration the tests read.
type ociConfig struct {
	Config struct {
		User       string
		Entrypoint []string
		Cmd        []string
	}
}

// imageConfig reads the configuration of the image tagged latest in an
// OCI layout, with skopeo.
func imageConfig(t *testing.T, layout string) ociConfig {
	t.Helper()
	var cfg ociConfig
	if err := json.Unmarshal([]byte(tool(t, "skopeo", "inspect", "--config", "oci:"+layout+":latest")), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}
