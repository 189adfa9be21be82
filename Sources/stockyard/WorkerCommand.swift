import ArgumentParser
import Logging
import Prometheus
import ServiceLifecycle
import StockyardCore
import StockyardStore
import StockyardSync

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run sync jobs only (no API), until SIGTERM or SIGINT; any number may run against one database.")

    func run() async throws {
        let config = try loadConfig()
        let logger = Logger(label: "stockyard.worker")
        let client = Database.makeClient(url: config.databaseURL, poolSize: config.databasePoolSize, logger: logger)
        let runner = JobRunner(settings: .init(config.jobs), database: Database(client: client, poolSize: config.databasePoolSize),
                               listenURL: config.databaseURL, handlers: .standard,
                               metrics: JobRunnerMetrics(registry: PrometheusCollectorRegistry()), logger: logger)
        // The pool starts first and stops last; SIGTERM stops the runner gracefully (in-flight jobs finish or are released).
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: client), .init(service: runner)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
