import ArgumentParser
import Foundation
import Logging
import StockyardAPI
import StockyardCore
import StockyardStore

struct Stockyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stockyard",
        abstract: "Keeps a warehouse, its storefronts and its point-of-sale terminals in step.",
        subcommands: [Serve.self, Worker.self, Migrate.self, CompanyCommand.self, ShopCommand.self, TokenCommand.self, Demo.self,
                      ConfigCommand.self, SimulatorCommand.self]
    )
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON, for scripts.")
    var json = false
}

/// The configuration from the environment, with logging set up from it (once per process).
func loadConfig() throws -> StockyardConfig {
    let config = try StockyardConfig(environment: ProcessInfo.processInfo.environment)
    LoggingSetup.bootstrap(config)
    return config
}

/// Runs `body` with a running pool for the schema owner: what `migrate` and the admin commands use.
func withOwnerDatabase<T: Sendable>(_ config: StockyardConfig, _ body: @Sendable (Database) async throws -> T) async throws -> T {
    var logger = Logger(label: "stockyard.admin")
    logger.logLevel = .error   // the pool warns when a lease races its own start-up; that is expected here
    return try await Database.withPool(url: config.ownerDatabaseURL, poolSize: 2, deadlines: StatementDeadlines(config), logger: logger, body)
}

/// Prints `value` as JSON when asked, else the human text.
func output<T: Encodable>(_ value: T, json: Bool, text: () -> String) throws {
    if json {
        print(String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self))
    } else {
        print(text())
    }
}
