package io.streamingarrow.analyzer.alerting;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.streamingarrow.analyzer.windowing.ClosedWindow;

/** {@code function(measure) op threshold}, e.g. {@code avg(cpu_used) > 90}, evaluated on a closed window. */
public record Condition(String function, String measure, String operator, double threshold) {

    private static final Pattern SYNTAX = Pattern.compile(
            "^\\s*(avg|mean|min|max|count)\\s*\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)\\s*(>=|<=|>|<)\\s*(-?[0-9]+(?:\\.[0-9]+)?)\\s*$");

    public static Condition parse(String text) {
        Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("alert condition '" + text
                    + "' is not of the form function(measure) op number, e.g. avg(cpu_used) > 90 (functions avg, min, max, count)");
        }
        return new Condition(m.group(1), m.group(2), m.group(3), Double.parseDouble(m.group(4)));
    }

    /** The window's value for this condition, or null when the window has none (no value for the measure). */
    public Double value(ClosedWindow window) {
        return window.stat(function, measure);
    }

    public boolean holds(Double value) {
        if (value == null) {
            return false;
        }
        return switch (operator) {
            case ">" -> value > threshold;
            case ">=" -> value >= threshold;
            case "<" -> value < threshold;
            default -> value <= threshold;
        };
    }

    /** The opposite condition, the default resolve condition. */
    public Condition negated() {
        String opposite = switch (operator) {
            case ">" -> "<=";
            case ">=" -> "<";
            case "<" -> ">=";
            default -> ">";
        };
        return new Condition(function, measure, opposite, threshold);
    }

    @Override
    public String toString() {
        return function + "(" + measure + ") " + operator + " " + threshold;
    }
}
