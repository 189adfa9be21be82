import ArgumentParser
import Logging
import StockyardCore
import StockyardStore

struct CompanyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "company", abstract: "Create and list companies (tenants).", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a company and print its id.")
        @Argument(help: "The company's name.") var name: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let config = try loadConfig()
            let name = self.name
            let company = try await withOwnerDatabase(config) { database in
                try await CompanyRepository(database: database).create(name: name, logger: Logger(label: "stockyard.admin"))
            }
            try output(company, json: options.json) { "company \(company.id): \(company.name)" }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every company.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let config = try loadConfig()
            let companies = try await withOwnerDatabase(config) { database in
                try await CompanyRepository(database: database).list(logger: Logger(label: "stockyard.admin"))
            }
            try output(companies, json: options.json) { companies.map { "\($0.id)\t\($0.name)" }.joined(separator: "\n") }
        }
    }
}
