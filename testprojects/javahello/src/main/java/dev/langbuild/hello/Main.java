package dev.langbuild.hello;

import com.google.common.base.Joiner;
import com.google.common.collect.ImmutableList;
import org.apache.commons.lang3.StringUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** langbuild's Java test program: uses its dependencies and a resource. */
public class Main {
    static final String MESSAGE = "hello from javahello";

    public static void main(String[] args) throws IOException {
        Logger log = LoggerFactory.getLogger(Main.class);
        System.out.println(MESSAGE);
        System.out.println("joined: " + Joiner.on('-').join(ImmutableList.of("a", "b", "c")));
        System.out.println("capitalized: " + StringUtils.capitalize("langbuild"));
        try (InputStream in = Main.class.getResourceAsStream("/greeting.txt")) {
            System.out.println("resource: " + new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
        }
        System.out.println("user: " + System.getProperty("user.name"));
        log.info("logged through slf4j-simple");
    }
}
