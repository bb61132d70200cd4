package io.streamingarrow.producer.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class BearerTokenTest {

    @Test
    void admitsOnlyTheExactBearerHeader() {
        BearerToken token = BearerToken.of(Optional.of("s3cret-token"));
        assertTrue(token.required());
        assertTrue(token.admits("Bearer s3cret-token"));
        assertFalse(token.admits(null));
        assertFalse(token.admits(""));
        assertFalse(token.admits("Bearer "));
        assertFalse(token.admits("Bearer s3cret-toke"));
        assertFalse(token.admits("Bearer s3cret-token "));
        assertFalse(token.admits("bearer s3cret-token"));
        assertFalse(token.admits("s3cret-token"));
        assertFalse(token.admits("Basic czNjcmV0LXRva2Vu"));
    }

    @Test
    void withoutATokenEveryRequestPasses() {
        assertFalse(BearerToken.of(Optional.empty()).required());
        assertTrue(BearerToken.of(Optional.empty()).admits(null));
        // An empty value (e.g. an empty Secret key) is no token, not a token that an empty header matches.
        assertFalse(BearerToken.of(Optional.of("")).required());
    }

    @Test
    void neverPrintsTheToken() {
        assertEquals("BearerToken[configured]", BearerToken.of(Optional.of("s3cret-token")).toString());
    }
}
