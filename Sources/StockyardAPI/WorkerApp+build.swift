import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import StockyardCore
import StockyardStore
import StockyardSync

/// `stockyard worker`: a job runner on its pool (`STOCKYARD_JOB_POOL_SIZE`), plus a small HTTP server on
/// `STOCKYARD_WORKER_METRICS_PORT` with `/metrics` (the runner's and the pool's) and `/health` only, so that
/// workers are scraped like API processes. One `ServiceGroup`: the pool starts first and stops last, and SIGTERM
/// stops the runner gracefully (in-flight jobs finish or are released).
public func buildWorkerApplication(config: StockyardConfig, logger: Logger) -> some ApplicationProtocol {
    let registry = PrometheusCollectorRegistry()
    let jobs = JobWorker(config: config, handlers: .stockyard(secrets: config.secretKey.flatMap { try? SecretBox(base64Key: $0) }),
                         metrics: JobRunnerMetrics(registry: registry), logger: logger)
    let router = Router(context: AppRequestContext.self)
    router.get("/health") { _, _ in HealthController.Health(status: "ok") }
    MetricsController(registry: registry, pools: [("jobs", jobs.database)]).register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(config.httpHost, port: config.jobs.workerMetricsPort),
                             serverName: "stockyard-worker"),
        services: jobs.services,
        logger: logger
    )
}
