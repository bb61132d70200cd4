package io.streamingarrow.analyzer.alerting;

/**
 * An alert: opens when {@code when} holds for {@code forWindows} consecutive windows of a device, resolves
 * once when {@code resolveWhen} holds. Between the two it stays open: a value flapping around the
 * threshold opens one alert, not many (hysteresis when resolveWhen's threshold differs).
 */
public record AlertRule(String name, String severity, Condition when, int forWindows, Condition resolveWhen) {

    public AlertRule {
        if (forWindows < 1) {
            throw new IllegalArgumentException("alert " + name + ": for-windows must be at least 1");
        }
    }
}
