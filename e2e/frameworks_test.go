package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A javaFramework is a minimal web app of one Java framework, written as the
// framework's own starter writes one: its files (pom.xml and sources), the
// Java it needs, the base it runs on, and what it answers.
type javaFramework struct {
	name    string
	files   map[string]string
	release int    // the Java the build needs; a newer JDK is looked for when it is above 17
	base    string // the --from of the build
	main    string // the main class langbuild should find
	cmd     []string
	path    string // GET path and its expected answer
	answer  string
}

// javaFrameworks are the frameworks of the matrix, beside Vert.x
// (vertx_test.go) and Quarkus (quarkus_test.go). Each app reads its port
// from PORT. Versions are ones that resolve from Maven Central with all
// their modules: Helidon 4.5.0, Spring Boot 4.0.7 with the Kotlin it
// manages, Micronaut 4.10.8 (its parent sets every io.micronaut version and
// its Maven plugin), Dropwizard 5.0.1.
var javaFrameworks = []javaFramework{
	{
		// Helidon's archetype (io.helidon.archetypes:helidon) is not served
		// here, so the app is what its SE quickstart reduces to: the
		// helidon-se parent, the web server and a routing. Helidon 4 needs
		// Java 21.
		name:    "helidon se",
		release: 21,
		base:    "debian:java21",
		main:    "dev.langbuild.helidon.Main",
		path:    "/hello",
		answer:  "hello from helidon",
		files: map[string]string{
			"pom.xml": `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <parent><groupId>io.helidon.applications</groupId><artifactId>helidon-se</artifactId><version>4.5.0</version><relativePath/></parent>
  <groupId>dev.langbuild.test</groupId><artifactId>helidonapp</artifactId><version>1.0.0</version>
  <properties><mainClass>dev.langbuild.helidon.Main</mainClass></properties>
  <dependencies>
    <dependency><groupId>io.helidon.webserver</groupId><artifactId>helidon-webserver</artifactId></dependency>
    <dependency><groupId>io.helidon.logging</groupId><artifactId>helidon-logging-jul</artifactId><scope>runtime</scope></dependency>
  </dependencies>
</project>`,
			"src/main/java/dev/langbuild/helidon/Main.java": `package dev.langbuild.helidon;

import io.helidon.webserver.WebServer;

public class Main {
  public static void main(String[] args) {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    WebServer.builder()
        .port(port)
        .routing(r -> r.get("/hello", (req, res) -> res.send("hello from helidon")))
        .build()
        .start();
  }
}
`,
		},
	},
	{
		// As start.spring.io writes a Kotlin web app: the Kotlin plugin with
		// Spring's compiler plugin (all-open), jackson-module-kotlin (Jackson
		// 3 under Boot 4), devtools optional and the test starter test-scoped.
		// The main class is the file class of a top-level main, ApplicationKt.
		name:   "spring boot kotlin",
		base:   "debian:java17",
		main:   "dev.langbuild.bootkt.ApplicationKt",
		path:   "/hello",
		answer: "hello from spring boot kotlin",
		files: map[string]string{
			"pom.xml": `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>4.0.7</version><relativePath/></parent>
  <groupId>dev.langbuild.test</groupId><artifactId>bootkt</artifactId><version>1.0.0</version>
  <properties><java.version>17</java.version></properties>
  <dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
    <dependency><groupId>tools.jackson.module</groupId><artifactId>jackson-module-kotlin</artifactId></dependency>
    <dependency><groupId>org.jetbrains.kotlin</groupId><artifactId>kotlin-reflect</artifactId></dependency>
    <dependency><groupId>org.jetbrains.kotlin</groupId><artifactId>kotlin-stdlib</artifactId></dependency>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-devtools</artifactId><scope>runtime</scope><optional>true</optional></dependency>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-test</artifactId><scope>test</scope></dependency>
  </dependencies>
  <build>
    <sourceDirectory>${project.basedir}/src/main/kotlin</sourceDirectory>
    <plugins>
      <plugin><groupId>org.springframework.boot</groupId><artifactId>spring-boot-maven-plugin</artifactId></plugin>
      <plugin><groupId>org.jetbrains.kotlin</groupId><artifactId>kotlin-maven-plugin</artifactId>
        <configuration>
          <args><arg>-Xjsr305=strict</arg></args>
          <compilerPlugins><plugin>spring</plugin></compilerPlugins>
        </configuration>
        <dependencies><dependency><groupId>org.jetbrains.kotlin</groupId><artifactId>kotlin-maven-allopen</artifactId><version>${kotlin.version}</version></dependency></dependencies>
      </plugin>
    </plugins>
  </build>
</project>`,
			"src/main/resources/application.properties": "server.port=${PORT:8080}\n",
			"src/main/kotlin/dev/langbuild/bootkt/Application.kt": `package dev.langbuild.bootkt

import org.springframework.boot.autoconfigure.SpringBootApplication
import org.springframework.boot.runApplication
import org.springframework.web.bind.annotation.GetMapping
import org.springframework.web.bind.annotation.RestController

@SpringBootApplication
class Application

@RestController
class HelloController {
	@GetMapping("/hello")
	fun hello() = "hello from spring boot kotlin"
}

fun main(args: Array<String>) {
	runApplication<Application>(*args)
}
`,
		},
	},
	{
		// As Micronaut Launch writes one: micronaut-parent (which runs
		// micronaut-inject-java as annotation processor), Netty, serde, and
		// the main class in the exec.mainClass property.
		name:   "micronaut",
		base:   "debian:java17",
		main:   "dev.langbuild.mn.Application",
		path:   "/hello",
		answer: "hello from micronaut",
		files: map[string]string{
			"pom.xml": `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <parent><groupId>io.micronaut.platform</groupId><artifactId>micronaut-parent</artifactId><version>4.10.8</version><relativePath/></parent>
  <groupId>dev.langbuild.test</groupId><artifactId>mnapp</artifactId><version>1.0.0</version>
  <packaging>${packaging}</packaging>
  <properties>
    <packaging>jar</packaging>
    <jdk.version>17</jdk.version>
    <release.version>17</release.version>
    <micronaut.version>4.10.8</micronaut.version>
    <micronaut.runtime>netty</micronaut.runtime>
    <exec.mainClass>dev.langbuild.mn.Application</exec.mainClass>
  </properties>
  <dependencies>
    <dependency><groupId>io.micronaut</groupId><artifactId>micronaut-http-server-netty</artifactId><scope>compile</scope></dependency>
    <dependency><groupId>io.micronaut.serde</groupId><artifactId>micronaut-serde-jackson</artifactId><scope>compile</scope></dependency>
    <dependency><groupId>ch.qos.logback</groupId><artifactId>logback-classic</artifactId><scope>runtime</scope></dependency>
    <dependency><groupId>io.micronaut.test</groupId><artifactId>micronaut-test-junit5</artifactId><scope>test</scope></dependency>
  </dependencies>
  <build><plugins>
    <plugin><groupId>io.micronaut.maven</groupId><artifactId>micronaut-maven-plugin</artifactId></plugin>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId>
      <configuration><annotationProcessorPaths combine.children="append">
        <path><groupId>io.micronaut.serde</groupId><artifactId>micronaut-serde-processor</artifactId><version>${micronaut.serialization.version}</version>
          <exclusions><exclusion><groupId>io.micronaut</groupId><artifactId>micronaut-inject</artifactId></exclusion></exclusions></path>
      </annotationProcessorPaths></configuration></plugin>
  </plugins></build>
</project>`,
			"src/main/resources/application.properties": "micronaut.application.name=mnapp\nmicronaut.server.port=${PORT:8080}\n",
			"src/main/java/dev/langbuild/mn/Application.java": `package dev.langbuild.mn;

import io.micronaut.runtime.Micronaut;

public class Application {
  public static void main(String[] args) {
    Micronaut.run(Application.class, args);
  }
}
`,
			"src/main/java/dev/langbuild/mn/HelloController.java": `package dev.langbuild.mn;

import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;

@Controller("/hello")
public class HelloController {
  @Get
  @Produces(MediaType.TEXT_PLAIN)
  public String hello() {
    return "hello from micronaut";
  }
}
`,
		},
	},
	{
		// Started as Dropwizard apps are, `server config.yml`: the program
		// arguments come from exec-maven-plugin. The config is read from the
		// classpath, with ${PORT} from the environment, so the same
		// arguments work under `mvn exec:java` and in the image.
		name:   "dropwizard",
		base:   "debian:java17",
		main:   "dev.langbuild.dw.HelloApplication",
		cmd:    []string{"server", "config.yml"},
		path:   "/hello",
		answer: "hello from dropwizard",
		files: map[string]string{
			"pom.xml": `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>dev.langbuild.test</groupId><artifactId>dwapp</artifactId><version>1.0.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <dropwizard.version>5.0.1</dropwizard.version>
  </properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>io.dropwizard</groupId><artifactId>dropwizard-dependencies</artifactId><version>${dropwizard.version}</version><type>pom</type><scope>import</scope></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>io.dropwizard</groupId><artifactId>dropwizard-core</artifactId></dependency>
  </dependencies>
  <build><plugins>
    <plugin><groupId>org.codehaus.mojo</groupId><artifactId>exec-maven-plugin</artifactId><version>3.5.0</version>
      <configuration><mainClass>dev.langbuild.dw.HelloApplication</mainClass>
        <arguments><argument>server</argument><argument>config.yml</argument></arguments></configuration></plugin>
  </plugins></build>
</project>`,
			"src/main/resources/config.yml": `server:
  type: simple
  applicationContextPath: /
  connector:
    type: http
    port: ${PORT:-8080}
`,
			"src/main/java/dev/langbuild/dw/HelloApplication.java": `package dev.langbuild.dw;

import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.ResourceConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

public class HelloApplication extends Application<Configuration> {
  public static void main(String[] args) throws Exception {
    new HelloApplication().run(args);
  }

  @Override
  public void initialize(Bootstrap<Configuration> bootstrap) {
    bootstrap.setConfigurationSourceProvider(new SubstitutingSourceProvider(
        new ResourceConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(false)));
  }

  @Override
  public void run(Configuration config, Environment env) {
    env.jersey().register(new HelloResource());
  }

  @Path("/hello")
  public static class HelloResource {
    @GET
    @Produces(MediaType.TEXT_PLAIN)
    public String hello() {
      return "hello from dropwizard";
    }
  }
}
`,
		},
	},
}

// TestJavaFrameworks builds a minimal app of each framework with no flags
// beyond the base and the output, and checks that the image's classpath is
// the runtime classpath Maven resolves (less spring-boot-devtools, which
// langbuild leaves out), in Maven's order, that the image starts the app as
// Maven's exec plugin would, and that the app answers HTTP. The whole matrix
// takes about 90 s here with a warm local repository and 100 s with an empty
// one (about 260 MB from Maven Central), the Debian bases built cold either
// way, so it all runs by default. Helidon needs a JDK 21 or newer to compile
// (the Temurin 25 in /usr/lib/jvm here); without one its subtest fails.
func TestJavaFrameworks(t *testing.T) {
	needE2E(t)
	env := sharedDebianEnv(t)
	for _, fw := range javaFrameworks {
		t.Run(fw.name, func(t *testing.T) {
			start := time.Now()
			if fw.release > 17 {
				javac := jdkFor(fw.release)
				if javac == "" {
					t.Fatalf("%s needs a JDK %d or newer to compile, and there is none on PATH or in /usr/lib/jvm", fw.name, fw.release)
				}
				t.Setenv("JAVA_HOME", filepath.Dir(filepath.Dir(javac)))
			}
			dir := t.TempDir()
			for name, content := range fw.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := mavenRuntimeClasspath(t, dir, "compile")
			maven := time.Now()

			r := lb(t, dir, env, "plan", "--json")
			if r.code != 0 {
				t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
			}
			var plan struct {
				Plan struct {
					Facts  map[string]string
					Layers []struct {
						Entries []struct{ Path, Source string }
					}
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
				t.Fatal(err)
			}
			got := strings.Split(plan.Plan.Facts["java.classpath"], ":")
			if !slices.Equal(got, want) {
				t.Errorf("classpath differs from Maven's\nlangbuild:\n  %s\nmaven:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}

			layout := filepath.Join(t.TempDir(), "layout")
			mustBuild(t, dir, env, "build", "--from", fw.base, "-o", "oci:"+layout, "-q")
			built := time.Now()

			// The classpath file in the image names the jars of Maven's
			// classpath, in its order, after the resources and classes.
			inImage := map[string]string{}
			for _, l := range plan.Plan.Layers {
				for _, e := range l.Entries {
					inImage[e.Source] = e.Path
				}
			}
			wantFile := []string{"/app/resources", "/app/classes"}
			for _, f := range want {
				wantFile = append(wantFile, inImage[f])
			}
			if got := strings.Split(strings.TrimSpace(string(imageFile(t, layout, "app/classpath"))), ":"); !slices.Equal(got, wantFile) {
				t.Errorf("/app/classpath in the image:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(wantFile, "\n  "))
			}
			cfg := imageConfig(t, layout)
			if n := len(cfg.Config.Entrypoint); n == 0 || cfg.Config.Entrypoint[n-1] != fw.main {
				t.Errorf("entrypoint %q, want the main class %s last", cfg.Config.Entrypoint, fw.main)
			}
			if !slices.Equal(cfg.Config.Cmd, fw.cmd) {
				t.Errorf("Cmd = %q, want %q", cfg.Config.Cmd, fw.cmd)
			}

			port := freePort(t)
			serveImage(t, layout, "latest", fmt.Sprintf("PORT=%d", port))
			if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d%s", port, fw.path), 90*time.Second); got != fw.answer {
				t.Errorf("GET %s = %q, want %q", fw.path, got, fw.answer)
			}
			done := time.Now()
			t.Logf("%s: %s in all: Maven %s, langbuild %s, first answer %s", fw.name, done.Sub(start).Round(time.Second),
				maven.Sub(start).Round(time.Second), built.Sub(maven).Round(time.Second), done.Sub(built).Round(time.Second))
		})
	}
}

// mavenRuntimeClasspath runs Maven's goals in dir, then prints the runtime
// classpath with the dependency plugin, in the same Maven run; it returns
// that classpath less spring-boot-devtools, which langbuild leaves out as
// Spring Boot's repackager does.
func mavenRuntimeClasspath(t *testing.T, dir string, goals ...string) []string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "cp.txt")
	mvn(t, dir, append(goals, "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
		"-Dmdep.outputFile="+out, "-DincludeScope=runtime")...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var cp []string
	for _, f := range strings.Split(strings.TrimSpace(string(b)), ":") {
		if !strings.Contains(f, "/spring-boot-devtools/") {
			cp = append(cp, f)
		}
	}
	return cp
}

// imageFile returns the content of name (a path without the leading /) in
// the last layer of the only image of an OCI layout: langbuild puts its
// generated files (the classpath file) there.
func imageFile(t *testing.T, layout, name string) []byte {
	t.Helper()
	var idx struct{ Manifests []struct{ Digest string } }
	readJSON(t, filepath.Join(layout, "index.json"), &idx)
	var m struct{ Layers []struct{ Digest string } }
	readJSON(t, blob(layout, idx.Manifests[0].Digest), &m)
	return extract(t, blob(layout, m.Layers[len(m.Layers)-1].Digest), name)
}
