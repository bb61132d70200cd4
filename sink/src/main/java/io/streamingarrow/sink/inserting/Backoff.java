package io.streamingarrow.sink.inserting;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter: attempt n waits initial·2^(n-1), capped, times a random 0.5..1.5. */
public record Backoff(Duration initial, Duration max) {

    public long delayMillis(int attempt) {
        long base = initial.toMillis() << Math.min(20, Math.max(0, attempt - 1));
        long capped = Math.min(max.toMillis(), Math.max(1, base));
        return Math.max(1, (long) (capped * (0.5 + ThreadLocalRandom.current().nextDouble())));
    }
}
