import ArgumentParser
import Foundation
import Logging
import StockyardCore
import StockyardStore

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Issue, list and revoke API tokens.", subcommands: [Issue.self, List.self, Revoke.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token and print it once; only its SHA-256 is stored.",
            discussion: "Scopes: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")). Default: admin.")
        @Option(help: "The company id.") var company: Int64
        @Option(help: "Bind the token to one of the company's shops.") var shop: Int64?
        @Option(name: .customLong("scope"), help: "A scope to grant (repeatable).") var scopes: [String] = []
        @Option(help: "A label for the token.") var name: String = ""
        @Option(help: "Expire the token after this many seconds.") var expiresIn: Int?
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            if let expiresIn, expiresIn <= 0 { throw ValidationError("--expires-in must be a positive number of seconds") }
            do { _ = try Scope.parse(scopes) } catch { throw ValidationError(error.description) }
        }

        func run() async throws {
            let config = try loadConfig()
            let scopes = try Scope.parse(self.scopes.isEmpty ? ["admin"] : self.scopes)
            let (company, shop, name) = (self.company, self.shop, self.name)
            let expiresAt = expiresIn.map { Date().addingTimeInterval(TimeInterval($0)) }
            let issued = try await withOwnerDatabase(config) { database in
                try await TokenRepository(database: database).issue(
                    company: company, shop: shop, name: name, scopes: scopes, expiresAt: expiresAt,
                    logger: Logger(label: "stockyard.admin"))
            }
            try output(issued, json: options.json) { issued.token }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a company's tokens (never their values).")
        @Option(help: "The company id.") var company: Int64
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let config = try loadConfig()
            let company = self.company
            let tokens = try await withOwnerDatabase(config) { database in
                var all: [TokenInfo] = []
                var page = PageRequest(limit: PageRequest.maxLimit)
                while true {
                    let result = try await TokenRepository(database: database).list(
                        company: company, shop: nil, page: page, logger: Logger(label: "stockyard.admin"))
                    all += result.items
                    guard let last = result.items.last, result.nextCursor != nil else { return all }
                    page = PageRequest(limit: PageRequest.maxLimit, afterID: last.id)
                }
            }
            try output(tokens, json: options.json) {
                tokens.map { token in
                    let state = token.revokedAt != nil ? "revoked" : "active"
                    return "\(token.id)\t\(state)\t\(token.scopes.map(\.rawValue).joined(separator: ","))\t\(token.name)"
                }.joined(separator: "\n")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; it is refused from then on.")
        @Option(help: "The company id.") var company: Int64
        @Argument(help: "The token id.") var id: Int64
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let config = try loadConfig()
            let (company, id) = (self.company, self.id)
            let token = try await withOwnerDatabase(config) { database in
                try await TokenRepository(database: database).revoke(id: id, company: company, logger: Logger(label: "stockyard.admin"))?.info
            }
            guard let token else { throw ValidationError("token \(id) not found in company \(company)") }
            try output(token, json: options.json) { "token \(token.id) revoked" }
        }
    }
}
