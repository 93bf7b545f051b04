package dev.langbuild.snaplib;

/** A class from a SNAPSHOT dependency. */
public final class Snap {
    private Snap() {}

    public static String version() {
        return "snaplib 0.1-SNAPSHOT";
    }
}
