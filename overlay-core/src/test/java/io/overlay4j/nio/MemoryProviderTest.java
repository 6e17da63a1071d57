package io.overlay4j.nio;

import io.overlay4j.core.layer.Layer;
import io.overlay4j.core.layer.MemoryLayer;
import io.overlay4j.core.layer.WritableLayer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The provider over in-memory layers passed as objects in the environment map. */
class MemoryProviderTest extends ProviderContract {
  private final MemoryLayer lower = new MemoryLayer("lower");
  private MemoryLayer upper = new MemoryLayer("upper");
  private MemoryLayer work = new MemoryLayer("work");

  @Override
  WritableLayer lower() {
    return lower;
  }

  @Override
  Layer upper() {
    return upper;
  }

  @Override
  FileSystem open(String name, Map<String, Object> options) throws IOException {
    Map<String, Object> env = new HashMap<>(options);
    env.put("lowerLayers", List.of(lower));
    env.put("upperLayer", upper);
    env.put("workLayer", work);
    env.put("umask", 022);
    return FileSystems.newFileSystem(URI.create("overlay://" + name), env);
  }
}
