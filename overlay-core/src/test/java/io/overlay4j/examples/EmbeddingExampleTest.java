package io.overlay4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the example program, so that it cannot rot, and checks what it says and leaves. */
class EmbeddingExampleTest {
  @Test
  void runs(@TempDir Path dir) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      EmbeddingExample.main(new String[] {dir.toString()});
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    old.print(out);
    assertTrue(out.contains("nio read:    hello from the lower layer"), out);
    assertTrue(out.contains("nio walk:    /docs/copy.md"), out);
    assertTrue(out.contains("core readdir: made-by-core (DIRECTORY)"), out);
    assertTrue(out.contains("core readdir: imported.txt (REGULAR)"), out);
    assertTrue(out.contains("core rmdir /docs: ENOTEMPTY"), out);
    assertTrue(out.contains("memory:      container"), out);
    assertTrue(out.contains("memory upper: [hostname]"), out);
    assertEquals("hello from the lower layer\n",
        Files.readString(dir.resolve("lower/greeting.txt")), "the lower layer is never written");
    assertEquals("hello from the lower layer\nappended in the overlay\n",
        Files.readString(dir.resolve("upper/greeting.txt")));
    assertEquals("written through overlay-core\n",
        Files.readString(dir.resolve("upper/made-by-core/note.txt")));
    assertEquals(Files.readString(dir.resolve("exported.txt")),
        Files.readString(dir.resolve("upper/imported.txt")));
  }
}
