package dev.langbuild.rules;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/** javarules' program: prints a JSON document made with Jackson. */
public class Main {
    public static void main(String[] args) throws Exception {
        System.out.println(new ObjectMapper().writeValueAsString(Map.of("rules", "ok")));
    }
}
