package io.streamingarrow.shared.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.DefaultAllocationManagerOption;
import org.apache.arrow.memory.unsafe.UnsafeAllocationManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ArrowAllocatorsTest {

    private String saved;

    @BeforeEach
    void save() {
        saved = System.getProperty(ArrowAllocators.PROPERTY);
        System.clearProperty(ArrowAllocators.PROPERTY);
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(ArrowAllocators.PROPERTY);
        } else {
            System.setProperty(ArrowAllocators.PROPERTY, saved);
        }
    }

    @Test
    void inANativeExecutableArrowIsToldToUseTheUnsafeAllocationManager() {
        ArrowAllocators.select(true, null);
        assertEquals("Unsafe", System.getProperty(ArrowAllocators.PROPERTY));
        // What Arrow makes of the property: the Unsafe type, whose factory it reads from the FACTORY field by name
        // (the field the native executables register for reflection).
        assertEquals(DefaultAllocationManagerOption.AllocationManagerType.Unsafe,
                DefaultAllocationManagerOption.getDefaultAllocationManagerType());
    }

    @Test
    void theFactoryArrowReadsByNameIsTheUnsafeOne() throws ReflectiveOperationException {
        Field field = Class.forName("org.apache.arrow.memory.unsafe.UnsafeAllocationManager").getDeclaredField("FACTORY");
        field.setAccessible(true);
        AllocationManager.Factory factory = (AllocationManager.Factory) field.get(null);
        assertEquals(UnsafeAllocationManager.FACTORY, factory);
    }

    @Test
    void onTheJvmNothingIsSet() {
        ArrowAllocators.select(false, null);
        assertNull(System.getProperty(ArrowAllocators.PROPERTY));
    }

    @Test
    void anExplicitChoiceIsKept() {
        System.setProperty(ArrowAllocators.PROPERTY, "Netty");
        ArrowAllocators.select(true, null);
        assertEquals("Netty", System.getProperty(ArrowAllocators.PROPERTY));
        System.clearProperty(ArrowAllocators.PROPERTY);
        ArrowAllocators.select(true, "Netty");
        assertNull(System.getProperty(ArrowAllocators.PROPERTY));
    }

    @Test
    void rootAllocatorsStillAllocate() {
        try (BufferAllocator allocator = ArrowAllocators.root(1 << 20); var buf = allocator.buffer(64)) {
            assertEquals(64, buf.capacity());
            assertEquals(1 << 20, allocator.getLimit());
        }
    }

    /**
     * A root allocator made without {@link ArrowAllocators} in the services' code would be the first to fail in a
     * native executable: every {@code new RootAllocator(} of the main sources must sit inside
     * {@code ArrowAllocators.root(() -> ...)}.
     */
    @Test
    void everyRootAllocatorOfTheServicesGoesThroughTheHelper() throws IOException {
        Path repo = Path.of("").toAbsolutePath().getParent();
        Pattern made = Pattern.compile("new RootAllocator\\(");
        List<String> bare = new ArrayList<>();
        int files = 0;
        for (String module : List.of("src-shared", "producer", "analyzer", "sink")) {
            Path main = repo.resolve(module).resolve("src/main/java");
            assertTrue(Files.isDirectory(main), main.toString());
            try (Stream<Path> sources = Files.walk(main)) {
                for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                    files++;
                    if (source.getFileName().toString().equals("ArrowAllocators.java")) {
                        continue;
                    }
                    String text = Files.readString(source);
                    Matcher m = made.matcher(text);
                    while (m.find()) {
                        String before = text.substring(Math.max(0, m.start() - 40), m.start());
                        if (!before.contains("ArrowAllocators.root(() ->")) {
                            bare.add(repo.relativize(source).toString());
                        }
                    }
                }
            }
        }
        assertTrue(files > 50, "found the services' sources (" + files + " files)");
        assertEquals(List.of(), bare, "root allocators made without ArrowAllocators");
    }
}
