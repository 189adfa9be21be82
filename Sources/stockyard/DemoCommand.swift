import ArgumentParser
import Logging
import StockyardCore
import StockyardStore

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ensure the demo company exists, issue it a fresh admin token, and print a ready-to-paste curl.")

    @Option(help: "The demo company's name.") var company = "Demo Company"
    @OptionGroup var options: GlobalOptions

    struct Result: Encodable { let companyId: Int64; let tokenId: Int64; let token: String; let curl: String }

    func run() async throws {
        let config = try loadConfig()
        let name = self.company
        let logger = Logger(label: "stockyard.demo")
        let (company, issued) = try await withOwnerDatabase(config) { database in
            let companies = CompanyRepository(database: database)
            let company = try await companies.find(named: name, logger: logger)
            let demo = if let company { company } else { try await companies.create(name: name, logger: logger) }
            let issued = try await TokenRepository(database: database).issue(
                company: demo.id, shop: nil, name: "demo", scopes: [.admin], expiresAt: nil, logger: logger)
            return (demo, issued)
        }
        let curl = "curl -s -H 'Authorization: Bearer \(issued.token)' http://\(config.httpHost):\(config.httpPort)/v1/me"
        try output(Result(companyId: company.id, tokenId: issued.id, token: issued.token, curl: curl), json: options.json) {
            """
            demo company \(company.id) (\(company.name)); API token (shown once):
              \(issued.token)
            try:
              \(curl)
            """
        }
    }
}
