package io.streamingarrow.analyzer.windowing;

/** Windows with chosen values, for tests of what consumes closed windows. */
public final class TestWindows {

    private TestWindows() {
    }

    /** A window of one row whose single measure has {@code value}. */
    public static WindowAccumulator single(double value) {
        WindowAccumulator window = new WindowAccumulator(1);
        window.addRow(0);
        window.addValue(0, value);
        return window;
    }
}
