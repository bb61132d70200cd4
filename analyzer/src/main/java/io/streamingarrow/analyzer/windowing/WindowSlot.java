package io.streamingarrow.analyzer.windowing;

/**
 * The open windows that share one start, one accumulator per device id. A slot is created when the first
 * row for its start arrives and closed whole when the watermark passes its end; entries are removed one by
 * one only when their partition is taken away ({@link #removeIf}). Open addressing over int keys: no boxing on the per-row path.
 */
final class WindowSlot {

    final long start;
    private int[] devices = new int[8]; // device id + 1; 0 = empty
    private WindowAccumulator[] windows = new WindowAccumulator[8];
    private int size;

    WindowSlot(long start) {
        this.start = start;
    }

    WindowAccumulator get(int device) {
        int mask = devices.length - 1;
        for (int slot = mix(device) & mask; ; slot = (slot + 1) & mask) {
            if (devices[slot] == device + 1) {
                return windows[slot];
            }
            if (devices[slot] == 0) {
                return null;
            }
        }
    }

    void put(int device, WindowAccumulator window) {
        if ((size + 1) * 2 > devices.length) {
            grow();
        }
        int mask = devices.length - 1;
        int slot = mix(device) & mask;
        while (devices[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        devices[slot] = device + 1;
        windows[slot] = window;
        size++;
    }

    int size() {
        return size;
    }

    /** Calls {@code visitor} for every device's window, in no particular order. */
    void forEach(Visitor visitor) {
        for (int slot = 0; slot < devices.length; slot++) {
            if (devices[slot] != 0) {
                visitor.visit(devices[slot] - 1, windows[slot]);
            }
        }
    }

    /**
     * Removes the windows whose partition {@code test} accepts (a partition taken away: its windows are the
     * new owner's to build); yields how many were removed, each reported to {@code removed}. Rare (a
     * rebalance), so it simply rebuilds the table.
     */
    int removeIf(java.util.function.IntPredicate test, Visitor removed) {
        int[] oldDevices = devices;
        WindowAccumulator[] oldWindows = windows;
        devices = new int[oldDevices.length];
        windows = new WindowAccumulator[oldDevices.length];
        size = 0;
        int count = 0;
        for (int slot = 0; slot < oldDevices.length; slot++) {
            if (oldDevices[slot] == 0) {
                continue;
            }
            int device = oldDevices[slot] - 1;
            if (test.test(oldWindows[slot].partition)) {
                removed.visit(device, oldWindows[slot]);
                count++;
            } else {
                put(device, oldWindows[slot]);
            }
        }
        return count;
    }

    interface Visitor {
        void visit(int device, WindowAccumulator window);
    }

    private void grow() {
        int[] oldDevices = devices;
        WindowAccumulator[] oldWindows = windows;
        devices = new int[oldDevices.length * 2];
        windows = new WindowAccumulator[oldDevices.length * 2];
        size = 0;
        for (int slot = 0; slot < oldDevices.length; slot++) {
            if (oldDevices[slot] != 0) {
                put(oldDevices[slot] - 1, oldWindows[slot]);
            }
        }
    }

    private static int mix(int id) {
        int h = id * 0x9E3779B9; // Fibonacci hashing: consecutive ids spread over the table
        return h ^ (h >>> 16);
    }
}
