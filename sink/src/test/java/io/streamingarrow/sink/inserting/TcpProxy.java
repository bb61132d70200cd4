package io.streamingarrow.sink.inserting;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

/**
 * A TCP relay in front of the real ClickHouse that a test can take down (closing every connection) and
 * bring back on the same port: a server outage as the sink sees it, without stopping the shared server.
 */
final class TcpProxy implements AutoCloseable {

    private final Vertx vertx;
    private final String targetHost;
    private final int targetPort;
    private final NetClient client;
    private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
    private NetServer server;
    private int port;

    TcpProxy(Vertx vertx, String targetHost, int targetPort) {
        this.vertx = vertx;
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.client = vertx.createNetClient();
    }

    int port() {
        return port;
    }

    void start() throws Exception {
        if (port == 0) {
            port = freePortBelowEphemeralRange();
        }
        NetServer s = vertx.createNetServer().connectHandler(this::relay);
        server = s.listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        port = server.actualPort();
    }

    /**
     * A free port below Linux's ephemeral range (32768 and up): the relay gives its port back while it is down and
     * takes it again, and a port the kernel had handed out (port 0) could meanwhile become the local end of any
     * outgoing connection on the machine (seen: BindException in a test suite running beside other work).
     */
    private static int freePortBelowEphemeralRange() throws java.io.IOException {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 200; attempt++) {
            int candidate = 20_000 + random.nextInt(12_000);
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new java.net.InetSocketAddress("127.0.0.1", candidate));
                return candidate;
            } catch (java.net.BindException taken) {
                // another listener has it: try another
            }
        }
        throw new java.io.IOException("no free port in 20000-31999 after 200 attempts");
    }

    void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        sockets.forEach(NetSocket::close);
        sockets.clear();
    }

    private void relay(NetSocket inbound) {
        inbound.pause();
        sockets.add(inbound);
        client.connect(targetPort, targetHost).onComplete(ar -> {
            if (ar.failed()) {
                inbound.close();
                return;
            }
            NetSocket outbound = ar.result();
            sockets.add(outbound);
            inbound.handler(outbound::write);
            outbound.handler(inbound::write);
            inbound.closeHandler(v -> outbound.close());
            outbound.closeHandler(v -> inbound.close());
            inbound.resume();
        });
    }

    @Override
    public void close() throws Exception {
        stop();
        client.close();
    }
}
