package io.streamingarrow.analyzer.windowing;

/**
 * Event-time windows of {@code size} starting every {@code slide} (both in microseconds): tumbling when
 * slide == size, hopping when slide < size. Window starts are multiples of the slide since the epoch.
 */
public record WindowSpec(long sizeMicros, long slideMicros) {

    public WindowSpec {
        if (sizeMicros <= 0 || slideMicros <= 0 || slideMicros > sizeMicros) {
            throw new IllegalArgumentException("window size and slide must be positive with slide <= size, got size "
                    + sizeMicros + " µs, slide " + slideMicros + " µs");
        }
    }

    public static WindowSpec tumbling(long sizeMicros) {
        return new WindowSpec(sizeMicros, sizeMicros);
    }

    /** The latest window start that contains {@code ts}. */
    public long lastStart(long ts) {
        return Math.floorDiv(ts, slideMicros) * slideMicros;
    }

    /** The earliest window start that contains {@code ts}. */
    public long firstStart(long ts) {
        // The smallest multiple of the slide above ts - size.
        return Math.floorDiv(ts - sizeMicros, slideMicros) * slideMicros + slideMicros;
    }

    public long sizeMillis() {
        return sizeMicros / 1000;
    }
}
