package io.streamingarrow.analyzer.windowing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.ReusableByteArray;

import io.streamingarrow.shared.columns.NumericColumn;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.columns.TimestampColumn;
import io.streamingarrow.shared.rows.BadRows;
import io.streamingarrow.shared.rows.RowScreen;
import io.streamingarrow.shared.schema.SeedSchema;

/**
 * Per-device event-time window aggregation, straight over decoded Arrow vectors: each row is folded into
 * every window that contains its timestamp. A window is final once the watermark passes its end. Rows for
 * a window that is already final are late: counted, and either left out or, with corrections on, kept
 * aside as {@link LateRows} for that window's next revision.
 *
 * <p>The per-row path allocates nothing once a device and a window start are known: device names are
 * read into one reused byte array and looked up in a {@link DeviceDictionary}; windows sharing a start
 * live in one {@link WindowSlot}, found through a small direct-mapped cache in front of the ordered map
 * that closing walks (so a {@code Long} is boxed once per window start, not per row).
 *
 * <p>Not thread-safe: one aggregator belongs to one consumer.
 */
public final class WindowAggregator {

    /**
     * What one batch did. {@code lateRows}: rows no open window could take (final already, or no device or
     * time); {@code replayedRows}: rows re-read after a restart for windows stored before it, skipped;
     * {@code maxWindowEnd}: the latest end of an open window it fed; {@code maxEventTs}: its latest event
     * time (both Long.MIN_VALUE if none).
     */
    public record BatchResult(long rows, long lateRows, long replayedRows, long maxWindowEnd, long maxEventTs, int refusedRows) {
    }

    private static final int SLOT_CACHE = 64; // window starts in flight at once, comfortably

    private final WindowSpec spec;
    private final List<String> measures;
    private final int maxOpenWindows;
    private final boolean lateCorrections;
    private final DeviceDictionary devices = new DeviceDictionary();
    private final TreeMap<Long, WindowSlot> slots = new TreeMap<>();
    private final long[] cachedStart = new long[SLOT_CACHE];
    private final WindowSlot[] cachedSlot = new WindowSlot[SLOT_CACHE];
    private final ReusableByteArray deviceBytes = new ReusableByteArray();
    private final Map<String, TreeMap<Long, WindowAccumulator>> late = new LinkedHashMap<>();
    private final TreeMap<Long, long[]> lateByWindow = new TreeMap<>(); // rows late per (latest) window start
    private long lastLateStart = Long.MIN_VALUE;
    private long[] lastLateCount;
    private int[] refusedRows = new int[16];
    private RowRefusal[] refusedWhy = new RowRefusal[16];
    private int refused;
    private int openWindows;
    private int lateWindows;
    private long closedUpTo = Long.MIN_VALUE;

    public WindowAggregator(WindowSpec spec, List<String> measures, int maxOpenWindows) {
        this(spec, measures, maxOpenWindows, false);
    }

    public WindowAggregator(WindowSpec spec, List<String> measures, int maxOpenWindows, boolean lateCorrections) {
        this.spec = spec;
        this.measures = List.copyOf(measures);
        this.maxOpenWindows = maxOpenWindows;
        this.lateCorrections = lateCorrections;
        Arrays.fill(cachedStart, Long.MIN_VALUE);
    }

    /** Windows ending at or before {@code end} are final already (e.g. persisted before a restart). */
    public void markClosedUpTo(long end) {
        closedUpTo = Math.max(closedUpTo, end);
    }

    public long closedUpTo() {
        return closedUpTo;
    }

    public int openWindows() {
        return openWindows;
    }

    /** Devices with at least one open window. */
    public int openDevices() {
        return devices.size();
    }

    public boolean lateCorrections() {
        return lateCorrections;
    }

    public WindowSpec spec() {
        return spec;
    }

    public List<String> measures() {
        return measures;
    }

    public BatchResult add(VectorSchemaRoot batch) {
        return add(batch, Long.MIN_VALUE, Long.MIN_VALUE);
    }

    /**
     * Folds a batch in. Windows ending at or before {@code replayedUpTo} were stored, with this batch's
     * rows in them, before a restart: those rows are skipped. Windows ending at or before
     * {@code finalUpTo} (or the aggregator's own closed mark) are final: rows for them are late.
     */
    public BatchResult add(VectorSchemaRoot batch, long replayedUpTo, long finalUpTo) {
        return add(batch, replayedUpTo, finalUpTo, RowRefusal.MAX_TS_MICROS);
    }

    /**
     * As {@link #add(VectorSchemaRoot, long, long)}; rows the analyzer refuses ({@link RowRefusal}: a time
     * outside what the stores hold or after {@code latestPlausibleMicros}, a device name PostgreSQL cannot
     * store) go into no window and do not move the event time; they are listed until the next call
     * ({@link #refusedRow}, {@link #refusal}).
     */
    public BatchResult add(VectorSchemaRoot batch, long replayedUpTo, long finalUpTo, long latestPlausibleMicros) {
        return add(batch, 0, replayedUpTo, Math.max(closedUpTo, finalUpTo), latestPlausibleMicros);
    }

    /**
     * As {@link #add(VectorSchemaRoot, long, long, long)} for rows of Kafka partition {@code partition}, with
     * exactly {@code finalUpTo} as the end up to which its windows are final: not this aggregator's own
     * closed mark, which a partition taken over from another consumer (read again from its last commit) may
     * be behind. Such a partition's windows open below the mark and close the next time the watermark, which
     * it holds back, moves on.
     */
    public BatchResult add(VectorSchemaRoot batch, int partition, long replayedUpTo, long finalUpTo, long latestPlausibleMicros) {
        refused = 0;
        long lateFrom = finalUpTo;
        FieldVector deviceVector = batch.getVector(SeedSchema.DEVICE);
        FieldVector tsVector = batch.getVector(SeedSchema.TS);
        if (deviceVector == null || tsVector == null || !StringColumn.supports(deviceVector) || !TimestampColumn.supports(tsVector)) {
            throw new IllegalArgumentException("a batch needs a string 'device' column and a timestamp 'ts' column, got "
                    + batch.getSchema());
        }
        StringColumn names = StringColumn.of(deviceVector);
        TimestampColumn timestamps = TimestampColumn.of(tsVector);
        NumericColumn[] values = new NumericColumn[measures.size()];
        for (int m = 0; m < values.length; m++) {
            FieldVector vector = batch.getVector(measures.get(m));
            values[m] = vector != null && NumericColumn.supports(vector) ? NumericColumn.of(vector) : null;
        }
        long lateRows = 0;
        long replayedRows = 0;
        long maxEnd = Long.MIN_VALUE;
        long maxTs = Long.MIN_VALUE;
        int rows = batch.getRowCount();
        // The shared screen finds what the stores cannot hold in any string or timestamp column (strings that
        // are not UTF-8 among them), so both consumers refuse the same rows; clean batches cost no allocation.
        BadRows screened = RowScreen.screen(batch);
        int nextScreened = 0;
        for (int row = 0; row < rows; row++) {
            if (names.isNull(row) || timestamps.isNull(row)) {
                lateRows++; // no device or no time: no window can hold it
                continue;
            }
            if (screened.isBad(row)) {
                while (screened.row(nextScreened) < row) {
                    nextScreened++;
                }
                refuse(row, RowRefusal.of(screened.defect(nextScreened)));
                continue;
            }
            long ts;
            try {
                ts = timestamps.micros(row);
            } catch (ArithmeticException e) { // seconds or milliseconds beyond what µs can count
                refuse(row, RowRefusal.TIMESTAMP_OUT_OF_RANGE);
                continue;
            }
            if (ts < RowRefusal.MIN_TS_MICROS || ts > RowRefusal.MAX_TS_MICROS) {
                refuse(row, RowRefusal.TIMESTAMP_OUT_OF_RANGE);
                continue;
            }
            if (ts > latestPlausibleMicros) {
                refuse(row, RowRefusal.TIMESTAMP_IN_FUTURE);
                continue;
            }
            names.read(row, deviceBytes);
            byte[] name = deviceBytes.getBuffer();
            int nameLength = (int) deviceBytes.getLength();
            int device = devices.find(name, nameLength);
            if (device < 0) {
                // A name the dictionary holds passed this check when it was added: only new ones are scanned.
                if (holdsNul(name, nameLength)) {
                    refuse(row, RowRefusal.NUL_IN_DEVICE);
                    continue;
                }
                device = devices.idOf(name, nameLength);
            }
            maxTs = Math.max(maxTs, ts);
            boolean counted = false;
            boolean replayed = false;
            for (long start = spec.firstStart(ts); start <= ts; start += spec.slideMicros()) {
                long end = start + spec.sizeMicros();
                if (end <= replayedUpTo) {
                    replayed = true;
                    continue;
                }
                WindowAccumulator window;
                if (end <= lateFrom) {
                    if (!lateCorrections) {
                        continue;
                    }
                    window = lateWindow(devices.name(device), start, partition);
                } else {
                    window = openWindow(device, start, partition);
                    maxEnd = Math.max(maxEnd, end);
                    counted = true;
                }
                window.addRow(ts);
                for (int m = 0; m < values.length; m++) {
                    if (values[m] != null && !values[m].isNull(row)) {
                        window.addValue(m, values[m].get(row));
                    }
                }
            }
            devices.releaseIfUnused(device);
            if (!counted) {
                if (replayed) {
                    replayedRows++;
                } else {
                    lateRows++;
                    tallyLate(Math.floorDiv(ts, spec.slideMicros()) * spec.slideMicros());
                }
            }
        }
        return new BatchResult(rows, lateRows, replayedRows, maxEnd, maxTs, refused);
    }

    private static boolean holdsNul(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == 0) {
                return true;
            }
        }
        return false;
    }

    private void refuse(int row, RowRefusal why) {
        if (refused == refusedRows.length) {
            refusedRows = Arrays.copyOf(refusedRows, refused * 2);
            refusedWhy = Arrays.copyOf(refusedWhy, refused * 2);
        }
        refusedRows[refused] = row;
        refusedWhy[refused] = why;
        refused++;
    }

    /** The batch row of the {@code i}-th row the last {@link #add} refused (ascending). */
    public int refusedRow(int i) {
        return refusedRows[i];
    }

    /** Why the last {@link #add} refused its {@code i}-th refused row. */
    public RowRefusal refusal(int i) {
        return refusedWhy[i];
    }

    private void tallyLate(long start) {
        if (start != lastLateStart || lastLateCount == null) {
            lastLateCount = lateByWindow.computeIfAbsent(start, s -> new long[1]);
            lastLateStart = start;
        }
        lastLateCount[0]++;
    }

    /**
     * Rows found late since the last call, by the start of the latest window each belonged to (whether
     * left out or kept for a correction); the caller owns the returned map.
     */
    public Map<Long, long[]> drainLateTally() {
        if (lateByWindow.isEmpty()) {
            return Map.of();
        }
        Map<Long, long[]> drained = new TreeMap<>(lateByWindow);
        lateByWindow.clear();
        lastLateCount = null;
        lastLateStart = Long.MIN_VALUE;
        return drained;
    }

    private WindowAccumulator openWindow(int device, long start, int partition) {
        WindowSlot slot = slot(start);
        WindowAccumulator window = slot.get(device);
        if (window == null) {
            requireRoom();
            window = new WindowAccumulator(measures.size());
            window.partition = partition;
            slot.put(device, window);
            devices.retain(device);
            openWindows++;
        }
        return window;
    }

    private WindowSlot slot(long start) {
        int cached = (int) Math.floorMod(Math.floorDiv(start, spec.slideMicros()), (long) SLOT_CACHE);
        if (cachedStart[cached] == start) {
            return cachedSlot[cached];
        }
        WindowSlot slot = slots.computeIfAbsent(start, WindowSlot::new);
        cachedStart[cached] = start;
        cachedSlot[cached] = slot;
        return slot;
    }

    private WindowAccumulator lateWindow(String device, long start, int partition) {
        TreeMap<Long, WindowAccumulator> windows = late.computeIfAbsent(device, d -> new TreeMap<>());
        WindowAccumulator window = windows.get(start);
        if (window == null) {
            requireRoom();
            window = new WindowAccumulator(measures.size());
            window.partition = partition;
            windows.put(start, window);
            lateWindows++;
        }
        return window;
    }

    private void requireRoom() {
        if (openWindows + lateWindows >= maxOpenWindows) {
            throw new IllegalStateException("more than " + maxOpenWindows + " open windows: raise "
                    + "analyzer.window.max-open or lower the allowed lateness");
        }
    }

    /**
     * Forgets the open windows (and corrections in waiting) fed by Kafka partition {@code partition}: it was
     * given to another consumer, which reads it again from its last commit and builds them whole. Stored
     * here, they would be partial and could overwrite the new owner's. Yields how many windows were dropped.
     */
    public int dropPartition(int partition) {
        int dropped = 0;
        java.util.Iterator<Map.Entry<Long, WindowSlot>> slotIterator = slots.entrySet().iterator();
        while (slotIterator.hasNext()) {
            WindowSlot slot = slotIterator.next().getValue();
            int removed = slot.removeIf(p -> p == partition, (device, window) -> devices.release(device));
            openWindows -= removed;
            dropped += removed;
            if (slot.size() == 0) {
                slotIterator.remove();
            }
        }
        // The cache may point at a slot just removed (or rebuilt in place: same object, still right).
        for (int i = 0; i < SLOT_CACHE; i++) {
            if (cachedSlot[i] != null && slots.get(cachedStart[i]) != cachedSlot[i]) {
                cachedStart[i] = Long.MIN_VALUE;
                cachedSlot[i] = null;
            }
        }
        java.util.Iterator<TreeMap<Long, WindowAccumulator>> lateIterator = late.values().iterator();
        while (lateIterator.hasNext()) {
            TreeMap<Long, WindowAccumulator> windows = lateIterator.next();
            int before = windows.size();
            windows.values().removeIf(window -> window.partition == partition);
            lateWindows -= before - windows.size();
            dropped += before - windows.size();
            if (windows.isEmpty()) {
                lateIterator.remove();
            }
        }
        return dropped;
    }

    /** Closes every window that ends at or before {@code watermark}; ordered by end, then device. */
    public List<ClosedWindow> closeUpTo(long watermark) {
        List<ClosedWindow> closed = new ArrayList<>();
        if (watermark <= closedUpTo) {
            return closed;
        }
        while (!slots.isEmpty() && slots.firstKey() + spec.sizeMicros() <= watermark) {
            WindowSlot slot = slots.pollFirstEntry().getValue();
            int cached = (int) Math.floorMod(Math.floorDiv(slot.start, spec.slideMicros()), (long) SLOT_CACHE);
            if (cachedSlot[cached] == slot) {
                cachedStart[cached] = Long.MIN_VALUE;
                cachedSlot[cached] = null;
            }
            int from = closed.size();
            slot.forEach((device, window) -> {
                closed.add(new ClosedWindow(devices.name(device), slot.start, slot.start + spec.sizeMicros(),
                        spec.sizeMillis(), measures, window));
                devices.release(device);
            });
            openWindows -= slot.size();
            closed.subList(from, closed.size()).sort(Comparator.comparing(ClosedWindow::device));
        }
        closedUpTo = watermark;
        return closed;
    }

    /** The late rows gathered since the last call, per window (only with corrections on). */
    public List<LateRows> drainLateRows() {
        if (late.isEmpty()) {
            return List.of();
        }
        List<LateRows> drained = new ArrayList<>(lateWindows);
        late.forEach((device, windows) -> windows.forEach((start, values) -> drained.add(
                new LateRows(device, start, start + spec.sizeMicros(), spec.sizeMillis(), measures, values))));
        late.clear();
        lateWindows = 0;
        return drained;
    }
}
