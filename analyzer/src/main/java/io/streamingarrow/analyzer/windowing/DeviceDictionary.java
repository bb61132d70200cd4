package io.streamingarrow.analyzer.windowing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Device names as small int ids, looked up straight from UTF-8 bytes so the per-row path allocates
 * nothing for a device it already knows. An id lives while windows hold it (reference counted) and is
 * recycled after, so the dictionary is bounded by the open windows, not by every device ever seen.
 *
 * <p>Open addressing with linear probing and backward-shift deletion. Not thread-safe.
 */
final class DeviceDictionary {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private int[] table = new int[64]; // id + 1; 0 = empty
    private byte[][] keys = new byte[16][];
    private int[] hashes = new int[16];
    private String[] names = new String[16];
    private int[] references = new int[16];
    private int[] freeIds = new int[16];
    private int free;
    private int nextId;
    private int size;

    /** The id of the device whose name is {@code bytes[0..length)}, or -1 if the dictionary does not hold it. */
    int find(byte[] bytes, int length) {
        return Math.max(probe(bytes, length, hash(bytes, length)), -1);
    }

    /** The id of the device whose name is {@code bytes[0..length)}, added (with no references) if new. */
    int idOf(byte[] bytes, int length) {
        int hash = hash(bytes, length);
        int found = probe(bytes, length, hash);
        return found >= 0 ? found : insert(-found - 1, bytes, length, hash);
    }

    /** The name's id, or {@code -(slot + 1)} for the empty slot where it would go. */
    private int probe(byte[] bytes, int length, int hash) {
        int mask = table.length - 1;
        for (int slot = hash & mask; ; slot = (slot + 1) & mask) {
            int entry = table[slot];
            if (entry == 0) {
                return -(slot + 1);
            }
            int id = entry - 1;
            if (hashes[id] == hash && Arrays.equals(keys[id], 0, keys[id].length, bytes, 0, length)) {
                return id;
            }
        }
    }

    String name(int id) {
        return names[id];
    }

    void retain(int id) {
        references[id]++;
    }

    /** Drops one reference; the id is forgotten (and later reused) when none is left. */
    void release(int id) {
        if (--references[id] == 0) {
            remove(id);
        }
    }

    /** Forgets {@code id} if nothing references it (a device whose rows all went nowhere). */
    void releaseIfUnused(int id) {
        if (references[id] == 0) {
            remove(id);
        }
    }

    int size() {
        return size;
    }

    private int insert(int slot, byte[] bytes, int length, int hash) {
        int id = free > 0 ? freeIds[--free] : nextId++;
        if (id == keys.length) {
            int capacity = keys.length * 2;
            keys = Arrays.copyOf(keys, capacity);
            hashes = Arrays.copyOf(hashes, capacity);
            names = Arrays.copyOf(names, capacity);
            references = Arrays.copyOf(references, capacity);
        }
        keys[id] = Arrays.copyOf(bytes, length);
        hashes[id] = hash;
        names[id] = new String(keys[id], StandardCharsets.UTF_8);
        references[id] = 0;
        table[slot] = id + 1;
        if (++size * 2 > table.length) {
            rehash(table.length * 2);
        }
        return id;
    }

    private void remove(int id) {
        int mask = table.length - 1;
        int slot = hashes[id] & mask;
        while (table[slot] != id + 1) {
            slot = (slot + 1) & mask;
        }
        // Backward shift: pull later entries of the probe run into the gap so lookups never stop early.
        int gap = slot;
        for (int next = (gap + 1) & mask; table[next] != 0; next = (next + 1) & mask) {
            int home = hashes[table[next] - 1] & mask;
            boolean homeOutsideGapToNext = gap <= next ? (home <= gap || home > next) : (home <= gap && home > next);
            if (homeOutsideGapToNext) {
                table[gap] = table[next];
                gap = next;
            }
        }
        table[gap] = 0;
        keys[id] = null;
        names[id] = null;
        if (free == freeIds.length) {
            freeIds = Arrays.copyOf(freeIds, free * 2);
        }
        freeIds[free++] = id;
        size--;
    }

    private void rehash(int capacity) {
        int[] old = table;
        table = new int[capacity];
        int mask = capacity - 1;
        for (int entry : old) {
            if (entry != 0) {
                int slot = hashes[entry - 1] & mask;
                while (table[slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                table[slot] = entry;
            }
        }
    }

    /**
     * Eight bytes at a time, then a final mix (shift, multiply, shift, as in MurmurHash3's finaliser) so that names
     * differing in one digit spread over the low bits. A byte at a time (FNV-1a, before) was most of the dictionary's share of the analyzer's CPU: a
     * chain of dependent multiplications per byte of every row's device name.
     */
    private static int hash(byte[] bytes, int length) {
        long h = length * 0x9E3779B97F4A7C15L;
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES) {
            h = Long.rotateLeft(h ^ (long) LONGS.get(bytes, i) * 0xC2B2AE3D27D4EB4FL, 31) * 0x9E3779B97F4A7C15L;
        }
        long tail = 0;
        for (int shift = 0; i < length; i++, shift += Byte.SIZE) {
            tail |= (bytes[i] & 0xFFL) << shift;
        }
        h ^= tail * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int) h;
    }
}
