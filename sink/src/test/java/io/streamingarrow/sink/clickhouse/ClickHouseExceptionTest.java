package io.streamingarrow.sink.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;

class ClickHouseExceptionTest {

    @Test
    void unreachableSaysWhatCausedIt() {
        // As the Java client reports an untrusted certificate: the reason is two causes down.
        SSLHandshakeException handshake = new SSLHandshakeException("PKIX path building failed: unable to find valid certification path");
        Exception transport = new IOException("SSL Problem", new RuntimeException(handshake.getMessage(), handshake));
        assertEquals("ClickHouse unreachable: java.io.IOException: SSL Problem; caused by java.lang.RuntimeException:"
                        + " PKIX path building failed: unable to find valid certification path",
                ClickHouseException.unreachable(transport).getMessage());
    }

    @Test
    void aFailureWithoutCauseIsJustItself() {
        assertEquals("ClickHouse unreachable: java.net.ConnectException: Connection refused",
                ClickHouseException.unreachable(new java.net.ConnectException("Connection refused")).getMessage());
    }
}
