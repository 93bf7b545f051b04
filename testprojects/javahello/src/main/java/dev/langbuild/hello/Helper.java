package dev.langbuild.hello;

/** A class without a main method, so the scan has something to skip. */
class Helper {
    static String twice(String s) {
        return s + s;
    }

    void main(int notTheEntryPoint) {
    }
}
