import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import StockyardCore
import StockyardStore
import StockyardSync

/// `stockyard worker`: the app-role pool and a job runner, plus a small HTTP server on
/// `STOCKYARD_WORKER_METRICS_PORT` with `/metrics` (the runner's and the pool's) and `/health` only, so that
/// workers are scraped like API processes. One `ServiceGroup`: the pool starts first and stops last, and SIGTERM
/// stops the runner gracefully (in-flight jobs finish or are released).
public func buildWorkerApplication(config: StockyardConfig, logger: Logger) -> some ApplicationProtocol {
    let database = Database(url: config.databaseURL, poolSize: config.databasePoolSize, logger: logger)
    let registry = PrometheusCollectorRegistry()
    let runner = JobRunner(settings: .init(config.jobs), database: database, listenURL: config.databaseURL,
                           handlers: .stockyard(secrets: config.secretKey.flatMap { try? SecretBox(base64Key: $0) }), metrics: JobRunnerMetrics(registry: registry), logger: logger)
    let router = Router(context: AppRequestContext.self)
    router.get("/health") { _, _ in HealthController.Health(status: "ok") }
    MetricsController(registry: registry, database: database).register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(config.httpHost, port: config.jobs.workerMetricsPort),
                             serverName: "stockyard-worker"),
        services: [database.pool, runner],
        logger: logger
    )
}
