import ArgumentParser
import Logging
import StockyardCore
import StockyardStore

struct ShopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shop", abstract: "Register a company's storefront.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a shop for a company and print its id.")
        @Option(help: "The company id.") var company: Int64
        @Option(help: "The shop's name.") var name: String
        @Option(help: "The storefront domain, e.g. acme.myshopify.com.") var domain: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let config = try loadConfig()
            let (company, name, domain) = (self.company, self.name, self.domain)
            let shop = try await withOwnerDatabase(config) { database in
                try await ShopRepository(database: database).create(name: name, domain: domain, company: company,
                                                                    logger: Logger(label: "stockyard.admin"))
            }
            try output(shop, json: options.json) { "shop \(shop.id): \(shop.name) (\(shop.domain))" }
        }
    }
}
