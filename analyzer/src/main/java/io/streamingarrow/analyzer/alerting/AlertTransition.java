package io.streamingarrow.analyzer.alerting;

/** An alert opening or resolving for one device, at the end of the window that decided it. */
public record AlertTransition(String rule, String severity, String device, State state, long windowStartMicros,
                              long windowEndMicros, Double value, String condition) {

    public enum State { OPEN, RESOLVED }
}
