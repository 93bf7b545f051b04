package dev.langbuild.multi.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The library module: a greeting from a resource, as JSON. */
public final class Greeter {
    private Greeter() {}

    public static String greet(String who) throws IOException {
        try (InputStream in = Greeter.class.getResourceAsStream("/core-greeting.txt")) {
            String g = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            String joined = com.google.common.base.Joiner.on(", ").join(g, who);
            return new ObjectMapper().writeValueAsString(Map.of("greeting", joined));
        }
    }
}
