package io.streamingarrow.analyzer.alerting;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.streamingarrow.analyzer.windowing.ClosedWindow;

/**
 * Evaluates every rule on every closed window, per device, in window order, and reports transitions only:
 * an alert opens once and resolves once. State is kept only for devices on a streak or with an open
 * alert, so it stays bounded by those, not by every device ever seen.
 */
public final class AlertEngine {

    private static final class Track {
        int consecutive;
        boolean open;
    }

    private final List<AlertRule> rules;
    private final Map<String, Track> tracks = new HashMap<>();

    public AlertEngine(List<AlertRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** Restores an alert that was open before a restart, so it is not opened twice. */
    public void restoreOpen(String rule, String device) {
        Track track = tracks.computeIfAbsent(rule + "\u0000" + device, k -> new Track());
        track.open = true;
    }

    /** How many of each device's latest windows {@link #restoreStreaks} needs: the longest streak short of opening. */
    public int streakDepth() {
        return rules.stream().mapToInt(rule -> rule.forWindows() - 1).max().orElse(0);
    }

    /**
     * Rebuilds, after a restart, how many consecutive windows each device has already met each rule's
     * condition, from its latest stored windows (oldest first per device), so a streak that began before
     * the restart still counts. Opens nothing: a streak is capped one short of its rule's
     * {@code for-windows}, and alerts already open are left as they are.
     */
    public void restoreStreaks(List<ClosedWindow> latestWindows) {
        for (AlertRule rule : rules) {
            for (ClosedWindow window : latestWindows) {
                String key = rule.name() + "\u0000" + window.device();
                Track track = tracks.get(key);
                if (track != null && track.open) {
                    continue;
                }
                boolean holds = rule.when().holds(rule.when().value(window));
                int consecutive = holds ? Math.min((track == null ? 0 : track.consecutive) + 1, rule.forWindows() - 1) : 0;
                if (consecutive > 0) {
                    tracks.computeIfAbsent(key, k -> new Track()).consecutive = consecutive;
                } else {
                    tracks.remove(key);
                }
            }
        }
    }

    public List<AlertTransition> evaluate(ClosedWindow window) {
        List<AlertTransition> transitions = new ArrayList<>();
        for (AlertRule rule : rules) {
            Track track = tracks.computeIfAbsent(rule.name() + "\u0000" + window.device(), k -> new Track());
            Double value = rule.when().value(window);
            if (!track.open) {
                track.consecutive = rule.when().holds(value) ? track.consecutive + 1 : 0;
                if (track.consecutive >= rule.forWindows()) {
                    track.open = true;
                    track.consecutive = 0;
                    transitions.add(transition(rule, window, AlertTransition.State.OPEN, value, rule.when()));
                }
            } else {
                Double resolveValue = rule.resolveWhen().value(window);
                if (rule.resolveWhen().holds(resolveValue)) {
                    track.open = false;
                    track.consecutive = 0;
                    transitions.add(transition(rule, window, AlertTransition.State.RESOLVED, resolveValue, rule.resolveWhen()));
                }
            }
            if (!track.open && track.consecutive == 0) {
                tracks.remove(rule.name() + "\u0000" + window.device()); // only streaks and open alerts are kept
            }
        }
        return transitions;
    }

    public long openAlerts() {
        return tracks.values().stream().filter(t -> t.open).count();
    }

    private static AlertTransition transition(AlertRule rule, ClosedWindow window, AlertTransition.State state, Double value,
                                              Condition condition) {
        return new AlertTransition(rule.name(), rule.severity(), window.device(), state, window.startMicros(),
                window.endMicros(), value, condition.toString());
    }
}
