import ArgumentParser
import Hummingbird
import Logging
import StockyardAPI

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run sync jobs only (no API; /metrics and /health on STOCKYARD_WORKER_METRICS_PORT), until SIGTERM or SIGINT; any number may run against one database.")

    func run() async throws {
        let config = try loadConfig()
        let logger = Logger(label: "stockyard.worker")
        try await buildWorkerApplication(config: config, logger: logger).runService()
    }
}
