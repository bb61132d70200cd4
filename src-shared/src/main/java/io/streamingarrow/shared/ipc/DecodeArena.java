package io.streamingarrow.shared.ipc;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.unsafe.UnsafeAllocationManager;
import org.apache.arrow.memory.util.MemoryUtil;

import io.streamingarrow.shared.memory.ArrowAllocators;

/**
 * The memory one decode works in: an allocator capped at the decode limit whose every native block
 * is remembered, so that closing the arena frees all of it, even what Arrow's readers fail to release.
 *
 * <p>Why: Arrow Java's readers leak buffers when a corrupt batch fails half-way through loading (a
 * decompression error after earlier buffers were inflated, a flatbuffer error after the body was
 * read). A service that dead-letters corrupt messages for days cannot afford a leak per message, and
 * fixing each reader path is out of our hands. Memory handed to the decode's callback lives in the
 * arena too; Arrow forbids transferring it to another root, so nothing can escape the arena's life.
 */
final class DecodeArena implements AutoCloseable {

    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong RECLAIMED_DECODES = new AtomicLong();

    private final Set<Block> live = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private final RootAllocator allocator;

    DecodeArena(long limitBytes) {
        AllocationManager.Factory factory = new AllocationManager.Factory() {
            @Override
            public AllocationManager create(BufferAllocator accountingAllocator, long size) {
                return new Block(accountingAllocator, size);
            }

            @Override
            public ArrowBuf empty() {
                return UnsafeAllocationManager.FACTORY.empty();
            }
        };
        this.allocator = ArrowAllocators.root(() -> new RootAllocator(RootAllocator.configBuilder()
                .allocationManagerFactory(factory)
                .maxAllocation(limitBytes)
                .build()));
    }

    BufferAllocator allocator() {
        return allocator;
    }

    /** Native bytes held by all open arenas of this JVM, for the memory metric. */
    static long liveBytes() {
        return LIVE_BYTES.get();
    }

    /** Decodes whose leftovers the arena had to free because Arrow did not. */
    static long reclaimedDecodes() {
        return RECLAIMED_DECODES.get();
    }

    @Override
    public void close() {
        if (allocator.getAllocatedMemory() == 0) {
            allocator.close();
            return;
        }
        // Arrow left buffers behind: free their memory directly. The allocator's bookkeeping still
        // counts them, so it is dropped unclosed; nothing else refers to it.
        RECLAIMED_DECODES.incrementAndGet();
        Block[] leftovers;
        synchronized (live) {
            leftovers = live.toArray(Block[]::new);
        }
        for (Block block : leftovers) {
            block.free();
        }
    }

    /** One native allocation, freed exactly once: by Arrow's release or by the arena's close. */
    private final class Block extends AllocationManager {
        private final long size;
        private long address;

        Block(BufferAllocator accountingAllocator, long size) {
            super(accountingAllocator);
            this.size = size;
            this.address = MemoryUtil.allocateMemory(size);
            LIVE_BYTES.addAndGet(size);
            live.add(this);
        }

        @Override
        public long getSize() {
            return size;
        }

        @Override
        protected long memoryAddress() {
            return address;
        }

        @Override
        protected void release0() {
            free();
        }

        synchronized void free() {
            if (address != 0) {
                MemoryUtil.freeMemory(address);
                address = 0;
                LIVE_BYTES.addAndGet(-size);
                live.remove(this);
            }
        }
    }
}
