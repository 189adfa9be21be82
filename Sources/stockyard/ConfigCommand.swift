import ArgumentParser
import StockyardCore

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the effective configuration (from STOCKYARD_* variables), passwords hidden.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let config = try loadConfig()
        let values = config.redacted
        try output(values, json: options.json) {
            values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: "\n")
        }
    }
}
