import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import StockyardCore
import StockyardStore
import StockyardSync

/// What `stockyard-bench inventory` syncs: `shops` companies, each with one shop in the simulator whose
/// `locations` storefront locations map one-to-one to warehouse locations, and `products` linked variants. Built
/// through the same repositories and import the API uses, then put live (forced, reason "bench").
struct InventoryBenchFixture: Sendable {
    struct Shop: Sendable {
        let company: Int64
        let shop: Int64
        let domain: String
        /// Warehouse location ids, index k ↔ storefront location k + 1.
        let locations: [Int64]
        /// Product ids, index i ↔ inventory item 10_000 + i.
        let products: [Int64]
    }

    static let accessToken = "shpat_bench"
    static let webhookSecret = "whsec_bench"
    static func item(_ index: Int) -> Int64 { Int64(10_000 + index) }

    let shops: [Shop]

    static func make(shops count: Int, locations: Int, products: Int, simulatorURL: String, webhookURL: String?,
                     owner: Database, app: Database, secrets: SecretBox, logger: Logger) async throws -> InventoryBenchFixture {
        var shops: [Shop] = []
        for index in 0..<count {
            let company = try await CompanyRepository(database: owner).create(name: "Inventory bench \(index)", logger: logger).id
            let domain = "bench-\(company).myshopify.com"
            try await createSimulatedShop(domain: domain, locations: locations, products: products, simulatorURL: simulatorURL,
                                          webhookURL: webhookURL)
            var warehouseLocations: [Int64] = []
            for k in 0..<locations {
                warehouseLocations.append(try await LocationRepository(database: app).create(
                    LocationDraft(name: "Store \(k + 1)", locationId: nil, usage: .internal, barcode: nil, active: true),
                    company: company, logger: logger).id)
            }
            var productIDs: [Int64] = []
            for i in 0..<products {
                var fields = ProductFields()
                fields.name = .value("Bench product \(i)")
                fields.defaultCode = .value("SKU-\(i)")
                productIDs.append(try await ProductRepository(database: app).create(fields, company: company, logger: logger).id)
            }
            var settings = ShopSettings()
            settings.apiBaseUrl = .value("\(simulatorURL)/shops/\(domain)")
            settings.accessToken = .value(accessToken)
            settings.webhookSecret = .value(webhookSecret)
            let shop = try await ShopRepository(database: app, secrets: secrets).create(name: "Bench shop", domain: domain, settings: settings,
                                                                                       company: company, logger: logger).id
            let importer = StorefrontImport(database: app, secrets: secrets)
            for location in try await importer.importLocations(shop: shop, company: company, logger: logger) {
                var changes = StorefrontLocationChanges()
                changes.kind = .value(.retail)
                changes.locationId = .value(warehouseLocations[Int(location.externalId) - 1])
                changes.sync = .value(.enabled)
                _ = try await StorefrontLocationRepository(database: app).update(id: location.id, shop: shop, changes: changes,
                                                                                 company: company, logger: logger)
            }
            _ = try await importer.importVariants(shop: shop, createProducts: false, company: company, logger: logger)
            _ = try await CutoverRepository(database: app).goLive(shop: shop, force: true, reason: "bench", topSKUs: nil, token: nil,
                                                                  company: company, logger: logger)
            shops.append(Shop(company: company, shop: shop, domain: domain, locations: warehouseLocations, products: productIDs))
        }
        return InventoryBenchFixture(shops: shops)
    }

    private static func createSimulatedShop(domain: String, locations: Int, products: Int, simulatorURL: String,
                                            webhookURL: String?) async throws {
        let locationList = (1...locations).map { #"{"id":\#($0),"name":"Store \#($0)"}"# }.joined(separator: ",")
        let variants = (0..<products).map { #"{"id":\#(20_000 + $0),"sku":"SKU-\#($0)","inventory_item_id":\#(item($0)),"status":"ACTIVE"}"# }
        let levels = (1...locations).flatMap { l in (0..<products).map { #"{"inventory_item_id":\#(item($0)),"location_id":\#(l),"available":0}"# } }
        var request = HTTPClientRequest(url: "\(simulatorURL)/_simulator/shops")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: """
            {"domain":"\(domain)","access_token":"\(accessToken)","webhook_secret":"\(webhookSecret)",
             \(webhookURL.map { #""webhook_url":"\#($0)","# } ?? "")
             "locations":[\(locationList)],"variants":[\(variants.joined(separator: ","))],"levels":[\(levels.joined(separator: ","))]}
            """))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .created else { throw BenchFailure("the simulator refused the shop: \(response.status)") }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
