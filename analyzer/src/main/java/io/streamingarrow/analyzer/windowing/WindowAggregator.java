package io.streamingarrow.analyzer.windowing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import io.streamingarrow.shared.columns.NumericColumn;
import io.streamingarrow.shared.columns.StringColumn;
import io.streamingarrow.shared.columns.TimestampColumn;
import io.streamingarrow.shared.schema.SeedSchema;

/**
 * Per-device event-time window aggregation, straight over decoded Arrow vectors: each row is folded into
 * every window that contains its timestamp. A window is final once the watermark passes its end; rows
 * for a window that is already final are late: counted and left out.
 *
 * <p>Not thread-safe: one aggregator belongs to one consumer.
 */
public final class WindowAggregator {

    /**
     * What one batch did. {@code maxWindowEnd} is the latest end of a window it touched and
     * {@code maxEventTs} its latest event time (both Long.MIN_VALUE if none).
     */
    public record BatchResult(long rows, long lateRows, long maxWindowEnd, long maxEventTs) {
    }

    private final WindowSpec spec;
    private final List<String> measures;
    private final int maxOpenWindows;
    private final Map<String, TreeMap<Long, WindowAccumulator>> open = new HashMap<>();
    private int openWindows;
    private long closedUpTo = Long.MIN_VALUE;

    public WindowAggregator(WindowSpec spec, List<String> measures, int maxOpenWindows) {
        this.spec = spec;
        this.measures = List.copyOf(measures);
        this.maxOpenWindows = maxOpenWindows;
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

    public WindowSpec spec() {
        return spec;
    }

    public List<String> measures() {
        return measures;
    }

    public BatchResult add(VectorSchemaRoot batch) {
        return add(batch, Long.MIN_VALUE);
    }

    /**
     * Folds a batch in. Windows ending at or before {@code floorEnd} (what this batch's partition had
     * already persisted before a restart) count as final too.
     */
    public BatchResult add(VectorSchemaRoot batch, long floorEnd) {
        long finalUpTo = Math.max(closedUpTo, floorEnd);
        FieldVector deviceVector = batch.getVector(SeedSchema.DEVICE);
        FieldVector tsVector = batch.getVector(SeedSchema.TS);
        if (deviceVector == null || tsVector == null || !StringColumn.supports(deviceVector) || !TimestampColumn.supports(tsVector)) {
            throw new IllegalArgumentException("a batch needs a string 'device' column and a timestamp 'ts' column, got "
                    + batch.getSchema());
        }
        StringColumn devices = StringColumn.of(deviceVector);
        TimestampColumn timestamps = TimestampColumn.of(tsVector);
        NumericColumn[] values = new NumericColumn[measures.size()];
        for (int m = 0; m < values.length; m++) {
            FieldVector vector = batch.getVector(measures.get(m));
            values[m] = vector != null && NumericColumn.supports(vector) ? NumericColumn.of(vector) : null;
        }
        long late = 0;
        long maxEnd = Long.MIN_VALUE;
        long maxTs = Long.MIN_VALUE;
        String previousName = null;
        byte[] previousBytes = null;
        TreeMap<Long, WindowAccumulator> deviceWindows = null;
        int rows = batch.getRowCount();
        for (int row = 0; row < rows; row++) {
            if (devices.isNull(row) || timestamps.isNull(row)) {
                late++; // no device or no time: no window can hold it
                continue;
            }
            long ts = timestamps.micros(row);
            maxTs = Math.max(maxTs, ts);
            byte[] name = devices.utf8(row);
            if (previousBytes == null || !java.util.Arrays.equals(previousBytes, name)) {
                previousName = new String(name, StandardCharsets.UTF_8);
                previousBytes = name;
                deviceWindows = open.computeIfAbsent(previousName, d -> new TreeMap<>());
            }
            boolean counted = false;
            for (long start = spec.firstStart(ts); start <= ts; start += spec.slideMicros()) {
                long end = start + spec.sizeMicros();
                if (end <= finalUpTo) {
                    continue;
                }
                WindowAccumulator window = deviceWindows.get(start);
                if (window == null) {
                    if (openWindows >= maxOpenWindows) {
                        throw new IllegalStateException("more than " + maxOpenWindows + " open windows: raise "
                                + "analyzer.window.max-open or lower the allowed lateness");
                    }
                    window = new WindowAccumulator(measures.size());
                    deviceWindows.put(start, window);
                    openWindows++;
                }
                window.addRow(ts);
                for (int m = 0; m < values.length; m++) {
                    if (values[m] != null && !values[m].isNull(row)) {
                        window.addValue(m, values[m].get(row));
                    }
                }
                maxEnd = Math.max(maxEnd, end);
                counted = true;
            }
            if (!counted) {
                late++;
            }
        }
        return new BatchResult(rows, late, maxEnd, maxTs);
    }

    /** Closes every window that ends at or before {@code watermark}, oldest first per device. */
    public List<ClosedWindow> closeUpTo(long watermark) {
        List<ClosedWindow> closed = new ArrayList<>();
        if (watermark <= closedUpTo) {
            return closed;
        }
        for (Iterator<Map.Entry<String, TreeMap<Long, WindowAccumulator>>> devices = open.entrySet().iterator(); devices.hasNext(); ) {
            Map.Entry<String, TreeMap<Long, WindowAccumulator>> device = devices.next();
            TreeMap<Long, WindowAccumulator> windows = device.getValue();
            while (!windows.isEmpty() && windows.firstKey() + spec.sizeMicros() <= watermark) {
                Map.Entry<Long, WindowAccumulator> window = windows.pollFirstEntry();
                openWindows--;
                closed.add(new ClosedWindow(device.getKey(), window.getKey(), window.getKey() + spec.sizeMicros(),
                        spec.sizeMillis(), measures, window.getValue()));
            }
            if (windows.isEmpty()) {
                devices.remove();
            }
        }
        closedUpTo = watermark;
        closed.sort(java.util.Comparator.comparingLong(ClosedWindow::endMicros).thenComparing(ClosedWindow::device));
        return closed;
    }
}
