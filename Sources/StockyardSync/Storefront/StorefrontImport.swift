import Logging
import StockyardCore
import StockyardStore

/// Imports a shop's locations and variants from its storefront into the location map and the product links. The
/// storefront is called outside any transaction; what it listed is then written in one.
public struct StorefrontImport: Sendable {
    let database: Database
    let client: StorefrontClient
    let secrets: SecretBox?

    public init(database: Database, client: StorefrontClient = StorefrontClient(), secrets: SecretBox?) {
        self.database = database
        self.client = client
        self.secrets = secrets
    }

    public func importLocations(shop: Int64, company: Int64, logger: Logger) async throws -> [StorefrontLocation] {
        let credentials = try await credentials(shop: shop, company: company, logger: logger)
        let listed = try await call { () async throws(StorefrontClient.Failure) in try await client.locations(credentials: credentials) }
        return try await StorefrontLocationRepository(database: database).importListed(
            listed.map { ListedStorefrontLocation(externalId: $0.id, name: $0.name) }, shop: shop, company: company, logger: logger)
    }

    public func importVariants(shop: Int64, createProducts: Bool, company: Int64, logger: Logger) async throws -> VariantImportSummary {
        let credentials = try await credentials(shop: shop, company: company, logger: logger)
        let listed = try await call { () async throws(StorefrontClient.Failure) in try await client.variants(credentials: credentials) }
        return try await StorefrontVariantRepository(database: database).importListed(
            listed.map { ListedVariant(externalId: $0.id, inventoryItemId: $0.inventoryItemID, sku: $0.sku, barcode: $0.barcode, status: $0.status) },
            createProducts: createProducts, shop: shop, company: company, logger: logger)
    }

    func credentials(shop: Int64, company: Int64, logger: Logger) async throws -> StorefrontClient.Credentials {
        let connection = try await database.withCompany(company, logger: logger) { connection in
            try await ShopRepository.connection(shop: shop, company: company, on: connection, logger: logger)
        }
        guard let connection else { throw AppError.conflict("connect the shop first: it needs an api_base_url and an access_token") }
        do {
            return try StorefrontClient.Credentials.open(connection, secrets: secrets)
        } catch {
            throw AppError.conflict("the shop's access token cannot be opened: \(error)")
        }
    }

    private func call<T>(_ body: () async throws(StorefrontClient.Failure) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw Self.apiError(error)
        }
    }

    /// A storefront failure as the API reports it: the storefront refused the token (409), or could not answer (503).
    static func apiError(_ failure: StorefrontClient.Failure) -> AppError {
        failure == .unauthorized ? .conflict("the storefront refused the shop's access token; update access_token")
            : .unavailable("the storefront could not answer: \(failure.jobFailure)")
    }
}
