import ArgumentParser

/// `stockyard-bench`: load benchmarks for a running Stockyard server. `ops/bench` builds, starts and feeds it.
/// Each kind of load is a subcommand (`http`, `stock`, `queue`; `checkout` is planned).
struct StockyardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stockyard-bench",
        abstract: "Benchmarks a running Stockyard server; run it through ops/bench, which starts the server for you.",
        subcommands: [HTTPBench.self, StockBench.self, QueueBench.self, CheckoutBench.self, InventoryBench.self]
    )
}

/// A command that generates load in this process and wants that many event-loop threads for it.
protocol ClientThreading {
    var clientThreads: Int { get }
}

/// Runs an async command's `run()` (plain overload resolution would pick the synchronous default, which prints help).
func runAsync<Command: AsyncParsableCommand>(_ command: Command) async throws {
    var command = command
    try await command.run()
}
