import ArgumentParser
import Hummingbird
import Logging
import NIOPosix
import StockyardAPI

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the REST API (STOCKYARD_HTTP_HOST:STOCKYARD_HTTP_PORT) until SIGTERM or SIGINT.")

    func run() async throws {
        let config = try loadConfig()
        let logger = Logger(label: "stockyard")
        let app = try buildApplication(config: config, logger: logger)
        try await app.runService()
    }
}
