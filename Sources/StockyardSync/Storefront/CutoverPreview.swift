import Foundation
import Logging
import StockyardCore
import StockyardStore

/// `POST /v1/shops/{id}/cutover/preview`: what each selected level would become, read from the storefront and
/// computed from the warehouse, without writing to the storefront. The preview is recorded (the checklist's
/// "opening stock reviewed").
public struct CutoverPreview: Sendable {
    public struct Line: Sendable, Codable, Equatable {
        public let sku: String?
        public let productId: Int64
        public let storefrontLocationId: Int64
        public let storefrontLocationName: String
        /// What the storefront holds now; nil when it does not stock the item there.
        public let before: Int?
        public let after: Int
    }

    public struct Report: Sendable, Codable, Equatable {
        public let items: [Line]
        public let changes: Int
    }

    let database: Database
    let client: StorefrontClient
    let secrets: SecretBox?
    /// Storefront reads in flight at once.
    static let parallelReads = 8

    public init(database: Database, client: StorefrontClient = StorefrontClient(), secrets: SecretBox?) {
        self.database = database
        self.client = client
        self.secrets = secrets
    }

    public func preview(shop: Int64, selection: LevelSelection, token: Int64?, company: Int64, logger: Logger) async throws -> Report {
        let cutover = CutoverRepository(database: database)
        let levels = try await cutover.levels(shop: shop, selection: selection, company: company, logger: logger)
        let credentials = try await StorefrontImport(database: database, client: client, secrets: secrets)
            .credentials(shop: shop, company: company, logger: logger)
        var before: [Int: Int?] = [:]
        do {
            try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
                for (index, level) in levels.enumerated() {
                    if index >= Self.parallelReads, let (done, value) = try await group.next() { before[done] = value }
                    group.addTask {
                        (index, try await client.available(inventoryItemID: level.inventoryItemId, locationID: level.externalLocationId,
                                                           credentials: credentials))
                    }
                }
                for try await (done, value) in group { before[done] = value }
            }
        } catch let failure as StorefrontClient.Failure {
            throw StorefrontImport.apiError(failure)
        }
        let lines = levels.enumerated().map { index, level in
            Line(sku: level.sku, productId: level.productId, storefrontLocationId: level.storefrontLocationId,
                 storefrontLocationName: level.storefrontLocationName, before: before[index] ?? nil, after: level.computed)
        }
        try await cutover.recordPreview(shop: shop, selection: selection, levels: lines.count, token: token, company: company, logger: logger)
        return Report(items: lines, changes: lines.filter { $0.before != $0.after }.count)
    }
}
