package dev.langbuild.multi.app;

import dev.langbuild.multi.core.Greeter;
import dev.langbuild.snaplib.Snap;

/** javamulti's program: uses the core module and the SNAPSHOT library. */
public class App {
    public static void main(String[] args) throws Exception {
        System.out.println(Greeter.greet("multi"));
        System.out.println(Snap.version());
        try (var in = App.class.getResourceAsStream("/app.properties")) {
            var p = new java.util.Properties();
            p.load(in);
            System.out.println("app resource: " + p.getProperty("name"));
        }
    }
}
