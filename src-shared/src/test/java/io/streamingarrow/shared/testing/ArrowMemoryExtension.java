package io.streamingarrow.shared.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import io.streamingarrow.shared.ipc.ArrowIpcDecoder;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test a fresh root allocator and fails the test if any Arrow memory is still held when it
 * ends, in that allocator or in a decode arena: every code path under test must release what it allocates.
 */
public final class ArrowMemoryExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ArrowMemoryExtension.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("allocator", new RootAllocator());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        BufferAllocator allocator = context.getStore(NS).remove("allocator", BufferAllocator.class);
        long leaked = allocator.getAllocatedMemory();
        String detail = leaked == 0 ? "" : allocator.toVerboseString();
        allocator.close();
        assertEquals(0, leaked, "Arrow memory leaked by " + context.getDisplayName() + "\n" + detail);
        assertEquals(0, ArrowIpcDecoder.liveDecodeBytes(), "decode arenas still hold memory after " + context.getDisplayName());
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == BufferAllocator.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NS).get("allocator", BufferAllocator.class);
    }
}
