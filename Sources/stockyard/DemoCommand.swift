import ArgumentParser
import Logging
import StockyardCore
import StockyardStore

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ensure the demo company exists, issue it a fresh admin token, and print ready-to-paste curls.",
        discussion: """
            With --storefront (a running `stockyard simulator`), also set up the demo company's storefront: a simulated \
            shop with its locations mapped and its variant linked, live, so a quant change shows there within milliseconds.
            """)

    @Option(help: "The demo company's name.") var company = "Demo Company"
    @Option(help: "A running StorefrontSimulator's base URL, e.g. http://127.0.0.1:8090.") var storefront: String?
    @OptionGroup var options: GlobalOptions

    struct Result: Encodable {
        let companyId: Int64
        let tokenId: Int64
        let token: String
        let curl: String
        let storefront: DemoStorefront.Setup?
        let adjustCurl: String?
        let levelsCurl: String?
    }

    func run() async throws {
        let config = try loadConfig()
        let (name, simulator) = (self.company, self.storefront)
        let logger = Logger(label: "stockyard.demo")
        let api = "http://\(config.httpHost):\(config.httpPort)"
        let (company, issued, setup) = try await withOwnerDatabase(config) { database in
            let companies = CompanyRepository(database: database)
            let company = try await companies.find(named: name, logger: logger)
            let demo = if let company { company } else { try await companies.create(name: name, logger: logger) }
            let issued = try await TokenRepository(database: database).issue(
                company: demo.id, shop: nil, name: "demo", scopes: [.admin], expiresAt: nil, logger: logger)
            guard let simulator else { return (demo, issued, nil as DemoStorefront.Setup?) }
            guard let key = config.secretKey else { throw DemoFailure("the storefront demo needs STOCKYARD_SECRET_KEY (./ops/run makes one)") }
            let storefront = DemoStorefront(simulatorURL: simulator, webhookURL: "\(api)/v1/webhooks/shopify",
                                            secrets: try SecretBox(base64Key: key), database: database, logger: logger)
            return (demo, issued, try await storefront.setUp(company: demo.id))
        }
        let auth = "-H 'Authorization: Bearer \(issued.token)'"
        let curl = "curl -s \(auth) \(api)/v1/me"
        let adjust = setup.map {
            "curl -s \(auth) -H 'Content-Type: application/json' \(api)/v1/inventory-adjustments -d '{\"product_id\":\($0.productId),\"location_id\":\($0.stockLocationId),\"delta\":5}'"
        }
        let levels = setup.map { "curl -s \($0.levelsURL)" }
        try output(Result(companyId: company.id, tokenId: issued.id, token: issued.token, curl: curl, storefront: setup,
                          adjustCurl: adjust, levelsCurl: levels), json: options.json) {
            var text = """
                demo company \(company.id) (\(company.name)); API token (shown once):
                  \(issued.token)
                try:
                  \(curl)
                """
            if let adjust, let levels {
                text += """

                    the demo storefront (\(DemoStorefront.domain), in the simulator) follows the warehouse; add 5 DEMO-TEE to stock:
                      \(adjust)
                    then read the storefront's levels (Online: all stock; Retail: stock less a buffer of 1):
                      \(levels)
                    """
            }
            return text
        }
    }
}
