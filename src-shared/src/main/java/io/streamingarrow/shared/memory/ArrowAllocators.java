package io.streamingarrow.shared.memory;

import java.util.function.Supplier;

import org.apache.arrow.memory.RootAllocator;

/**
 * Every root allocator of the services is made here, so that Arrow finds its allocation manager in a native
 * executable too.
 *
 * <p>Why: the first use of Arrow's {@code BaseAllocator} class builds its default configuration, which asks
 * {@code DefaultAllocationManagerOption} for the default allocation-manager factory. Unless the system property
 * {@value #PROPERTY} (or the environment variable {@code ARROW_ALLOCATION_MANAGER_TYPE}) names a type, Arrow looks
 * for the class file {@code org/apache/arrow/memory/DefaultAllocationManagerFactory.class} as a class-path
 * resource ({@code CheckAllocator}). A native executable has no class files, so that lookup fails and every
 * allocator stops with "No DefaultAllocationManager found on classpath". With the property set to {@code Unsafe},
 * Arrow loads {@code org.apache.arrow.memory.unsafe.UnsafeAllocationManager} by name and reads its static
 * {@code FACTORY} field (registered for reflection in each service's {@code reflection-config.json}): the same
 * factory the class-path lookup finds on the JVM (arrow-memory-unsafe's {@code DefaultAllocationManagerFactory}
 * hands out {@code UnsafeAllocationManager.FACTORY}). A {@code -D} given to the native-image builder sets the
 * property only in the builder, not in the executable, so it is set here, at run time, before the first
 * allocator. On the JVM nothing changes; an explicit choice by the user (property or environment) is kept.
 */
public final class ArrowAllocators {

    static final String PROPERTY = "arrow.allocation.manager.type";
    static final String ENVIRONMENT = "ARROW_ALLOCATION_MANAGER_TYPE";
    /** Set by Native Image: "runtime" inside a native executable, "buildtime" while the image is built. */
    private static final String IMAGE_CODE = "org.graalvm.nativeimage.imagecode";

    private ArrowAllocators() {
    }

    /** A root allocator with this limit, as {@code new RootAllocator(limitBytes)}. */
    public static RootAllocator root(long limitBytes) {
        selectAllocationManager();
        return new RootAllocator(limitBytes);
    }

    /**
     * A root allocator made by {@code make} (for a custom configuration: {@code RootAllocator.configBuilder()}
     * itself initialises Arrow's allocator classes, so it must run after the selection).
     */
    public static RootAllocator root(Supplier<RootAllocator> make) {
        selectAllocationManager();
        return make.get();
    }

    /** Names Arrow's allocation manager where Arrow cannot find it by itself (in a native executable). */
    public static void selectAllocationManager() {
        select("runtime".equals(System.getProperty(IMAGE_CODE)), System.getenv(ENVIRONMENT));
    }

    /** The decision, apart from where it is made (unit-tested on the JVM). */
    static void select(boolean inNativeExecutable, String environmentChoice) {
        if (inNativeExecutable && System.getProperty(PROPERTY) == null && environmentChoice == null) {
            System.setProperty(PROPERTY, "Unsafe");
        }
    }
}
