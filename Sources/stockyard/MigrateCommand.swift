import ArgumentParser
import Logging
import StockyardCore
import StockyardStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations from STOCKYARD_MIGRATIONS_DIR as the schema owner (a no-op when up to date).")

    @OptionGroup var options: GlobalOptions

    struct Result: Encodable { let applied: [String] }

    func run() async throws {
        let config = try loadConfig()
        let files = try Migrator.loadFiles(directory: config.migrationsDirectory)
        let applied = try await withOwnerDatabase(config) { database in
            try await Migrator(database: database, logger: Logger(label: "stockyard.migrate")).migrate(files)
        }
        let names = applied.map { "\($0.version)_\($0.name)" }
        try output(Result(applied: names), json: options.json) {
            names.isEmpty ? "database is up to date" : "applied: " + names.joined(separator: ", ")
        }
    }
}
