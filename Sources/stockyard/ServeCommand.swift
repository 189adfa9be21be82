import ArgumentParser
import Hummingbird
import Logging
import NIOPosix
import StockyardAPI

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the REST API (STOCKYARD_HTTP_HOST:STOCKYARD_HTTP_PORT) and run sync jobs, until SIGTERM or SIGINT.")

    @Flag(help: "Serve the API only; leave the jobs to `stockyard worker` processes.")
    var noWorker = false

    func run() async throws {
        let config = try loadConfig()
        let logger = Logger(label: "stockyard")
        let app = try buildApplication(config: config, worker: !noWorker, logger: logger)
        try await app.runService()
    }
}
