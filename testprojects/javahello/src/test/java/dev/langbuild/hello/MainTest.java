package dev.langbuild.hello;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class MainTest {
    @Test
    public void twice() {
        assertEquals("abab", Helper.twice("ab"));
    }
}
