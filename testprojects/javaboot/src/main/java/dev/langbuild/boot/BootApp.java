package dev.langbuild.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** langbuild's Spring Boot test app: one endpoint. */
@SpringBootApplication
@RestController
public class BootApp {
    @GetMapping("/hello")
    public String hello() {
        return "hello from spring boot as " + System.getProperty("user.name");
    }

    public static void main(String[] args) {
        SpringApplication.run(BootApp.class, args);
    }
}
