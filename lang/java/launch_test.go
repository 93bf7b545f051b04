package java

import (
	"reflect"
	"strings"
	"testing"
)

func modelWithBuild(t *testing.T, build string, props map[string]string) *Model {
	t.Helper()
	tree, err := parseTree([]byte("<project><build><plugins>" + build + "</plugins></build></project>"))
	if err != nil {
		t.Fatal(err)
	}
	return &Model{Plugins: tree.child("build").children("plugins", "plugin"), Properties: props}
}

func TestLaunchSettings(t *testing.T) {
	props := map[string]string{"main.verticle": "app.Main"}
	for _, tc := range []struct {
		name, build string
		args        []string
		manifest    [][2]string
	}{
		{"exec arguments and jar manifest entries",
			`<plugin><artifactId>exec-maven-plugin</artifactId><configuration><mainClass>io.vertx.core.Launcher</mainClass>
			   <arguments><argument>run</argument><argument>${main.verticle}</argument></arguments></configuration></plugin>
			 <plugin><artifactId>maven-jar-plugin</artifactId><configuration><archive><manifest><mainClass>io.vertx.core.Launcher</mainClass></manifest>
			   <manifestEntries><Main-Verticle>${main.verticle}</Main-Verticle><X-Unknown>${nope}</X-Unknown></manifestEntries></archive></configuration></plugin>`,
			[]string{"run", "app.Main"}, [][2]string{{"Main-Class", "io.vertx.core.Launcher"}, {"Main-Verticle", "app.Main"}}},
		{"commandlineArgs, quoted",
			`<plugin><artifactId>exec-maven-plugin</artifactId><executions><execution><configuration><mainClass>a.B</mainClass>
			   <commandlineArgs>serve "config file.yml"  --port 8080</commandlineArgs></configuration></execution></executions></plugin>`,
			[]string{"serve", "config file.yml", "--port", "8080"}, nil},
		{"the exec goal runs another program: not the app's arguments",
			`<plugin><artifactId>exec-maven-plugin</artifactId><configuration><executable>langbuild</executable>
			   <arguments><argument>build</argument></arguments></configuration></plugin>`,
			nil, nil},
		{"the shade plugin's manifest transformer",
			`<plugin><artifactId>maven-shade-plugin</artifactId><executions><execution><configuration><transformers>
			   <transformer implementation="org.apache.maven.plugins.shade.resource.ManifestResourceTransformer">
			   <manifestEntries><Main-Class>io.vertx.core.Launcher</Main-Class><Main-Verticle>${main.verticle}</Main-Verticle></manifestEntries>
			   </transformer></transformers></configuration></execution></executions></plugin>`,
			nil, [][2]string{{"Main-Class", "io.vertx.core.Launcher"}, {"Main-Verticle", "app.Main"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := modelWithBuild(t, tc.build, props)
			if got := pomArgs(m); !reflect.DeepEqual(got, tc.args) {
				t.Errorf("args %q, want %q", got, tc.args)
			}
			if got := pomManifest(m); !reflect.DeepEqual(got, tc.manifest) {
				t.Errorf("manifest %q, want %q", got, tc.manifest)
			}
		})
	}
	// The manifest's Main-Class is a main-class source.
	m := modelWithBuild(t, `<plugin><artifactId>maven-jar-plugin</artifactId><configuration><archive><manifestEntries><Main-Class>a.Main</Main-Class></manifestEntries></archive></configuration></plugin>`, props)
	if got := pomMainClass(m); got != "a.Main" {
		t.Errorf("main class from manifestEntries: %q", got)
	}
}

func TestManifestFile(t *testing.T) {
	long := strings.Repeat("x", 100)
	got := string(manifestFile([][2]string{{"Main-Class", "a.B"}, {"Long", long}}))
	want := "Manifest-Version: 1.0\r\nMain-Class: a.B\r\nLong: " + long[:66] + "\r\n " + long[66:] + "\r\n\r\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	for _, l := range strings.Split(got, "\r\n") {
		if len(l) > 72 {
			t.Errorf("line of %d bytes: %q", len(l), l)
		}
	}
}
