package io.streamingarrow.analyzer.alerting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.streamingarrow.analyzer.windowing.ClosedWindow;
import io.streamingarrow.analyzer.windowing.TestWindows;
import io.streamingarrow.analyzer.windowing.WindowAccumulator;

class AlertEngineTest {

    private static final List<String> MEASURES = List.of("cpu_used");

    /** A closed window of one device whose only cpu_used value is {@code cpu}. */
    private static ClosedWindow window(String device, int index, double cpu) {
        WindowAccumulator values = TestWindows.single(cpu);
        return new ClosedWindow(device, index * 10_000_000L, (index + 1) * 10_000_000L, 10_000, MEASURES, values);
    }

    private static List<AlertTransition> run(AlertEngine engine, String device, double... cpu) {
        List<AlertTransition> out = new ArrayList<>();
        for (int i = 0; i < cpu.length; i++) {
            out.addAll(engine.evaluate(window(device, i, cpu[i])));
        }
        return out;
    }

    private static AlertRule cpuHot(int forWindows) {
        return new AlertRule("cpu-hot", "critical", Condition.parse("avg(cpu_used) > 90"), forWindows,
                Condition.parse("avg(cpu_used) < 80"));
    }

    @Test
    void aValueOscillatingAroundTheThresholdOpensOnceAndResolvesOnce() {
        AlertEngine engine = new AlertEngine(List.of(cpuHot(1)));
        List<AlertTransition> transitions = run(engine, "pump-1",
                50, 95, 89, 95, 91, 85, 96, 82, 93, 79, 91, 89, 70);
        assertEquals(List.of(AlertTransition.State.OPEN, AlertTransition.State.RESOLVED, AlertTransition.State.OPEN,
                AlertTransition.State.RESOLVED), transitions.stream().map(AlertTransition::state).toList());
        assertEquals(1 * 10_000_000L + 10_000_000L, transitions.get(0).windowEndMicros(), "opened at the first hot window");
        assertEquals(10 * 10_000_000L, transitions.get(1).windowEndMicros(), "resolved only when below 80");
        assertEquals(95.0, transitions.get(0).value());
        assertEquals(0, engine.openAlerts());
    }

    /**
     * After a restart a streak begun before it still counts: a device with two hot windows stored opens
     * at the next hot one; one whose latest stored window broke its streak needs three again; an alert
     * restored as open is neither reopened nor resolved by the windows read back.
     */
    @Test
    void streaksSurviveARestartWithoutOpeningAnything() {
        AlertEngine engine = new AlertEngine(List.of(cpuHot(3)));
        assertEquals(2, engine.streakDepth());
        engine.restoreOpen("cpu-hot", "open-before");
        engine.restoreStreaks(List.of(window("hot", 7, 95), window("hot", 8, 96), window("broken", 7, 95),
                window("broken", 8, 50), window("open-before", 7, 50), window("open-before", 8, 50)));
        assertEquals(1, engine.openAlerts(), "restoring opens and resolves nothing");
        List<AlertTransition> hot = engine.evaluate(window("hot", 9, 97));
        assertEquals(1, hot.size(), "the third hot window in a row opens the alert");
        assertEquals(AlertTransition.State.OPEN, hot.get(0).state());
        assertTrue(engine.evaluate(window("broken", 9, 95)).isEmpty());
        assertTrue(engine.evaluate(window("broken", 10, 95)).isEmpty(), "a broken streak starts again");
        assertEquals(1, engine.evaluate(window("broken", 11, 95)).size());
        assertEquals(AlertTransition.State.RESOLVED, engine.evaluate(window("open-before", 9, 50)).get(0).state());
    }

    @Test
    void forWindowsNeedsThatManyConsecutiveWindows() {
        AlertEngine engine = new AlertEngine(List.of(cpuHot(3)));
        assertTrue(run(engine, "a", 95, 95, 50, 95, 95).isEmpty(), "a break resets the count");
        List<AlertTransition> opened = run(engine, "b", 95, 95, 95, 95, 95);
        assertEquals(1, opened.size());
        assertEquals(3 * 10_000_000L, opened.get(0).windowEndMicros());
        assertEquals(1, engine.openAlerts());
    }

    @Test
    void devicesAreTrackedSeparatelyAndRestoredAlertsDoNotReopen() {
        AlertEngine engine = new AlertEngine(List.of(cpuHot(1)));
        engine.restoreOpen("cpu-hot", "a");
        assertTrue(run(engine, "a", 95, 96).isEmpty(), "already open before the restart");
        assertEquals(1, run(engine, "b", 95).size());
        assertEquals(AlertTransition.State.RESOLVED, run(engine, "a", 10).get(0).state());
    }

    @Test
    void conditionsAreParsedStrictly() {
        assertEquals(new Condition("max", "memory_used", ">=", 95.5), Condition.parse(" max( memory_used ) >= 95.5 "));
        assertEquals("avg(cpu_used) <= 90.0", Condition.parse("avg(cpu_used) > 90").negated().toString());
        assertThrows(IllegalArgumentException.class, () -> Condition.parse("avg(cpu_used) >> 90"));
        assertThrows(IllegalArgumentException.class, () -> Condition.parse("median(cpu_used) > 90"));
    }
}
