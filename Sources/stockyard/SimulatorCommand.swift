import ArgumentParser
import Hummingbird
import StorefrontSimulator

struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Serve StorefrontSimulator (the Shopify Admin GraphQL subset Stockyard speaks), until SIGTERM or SIGINT.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8090

    func run() async throws {
        try await StorefrontSimulator().application(host: host, port: port).runService()
    }
}
