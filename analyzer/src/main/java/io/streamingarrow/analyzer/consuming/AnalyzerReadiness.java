package io.streamingarrow.analyzer.consuming;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Not ready, with the reason, while closed windows cannot be stored or published (no message is taken then). */
@Readiness
@ApplicationScoped
public class AnalyzerReadiness implements HealthCheck {

    @Inject
    AnalyzerService service;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("analyzer-results");
        AnalyzerPipeline pipeline = service.currentPipeline();
        if (pipeline == null) {
            return response.down().withData("reason", "starting").build();
        }
        String reason = pipeline.blockedReason();
        return reason == null ? response.up().build() : response.down().withData("reason", reason).build();
    }
}
