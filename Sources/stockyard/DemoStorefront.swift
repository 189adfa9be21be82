import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import StockyardCore
import StockyardStore
import StockyardSync

/// The demo company's storefront (issue 6, item 9): a shop in a running StorefrontSimulator, its two locations
/// mapped (Online to the whole warehouse, Retail to its stock with a buffer of 1), one variant linked to the
/// DEMO-TEE product, and the shop live, so a quant change shows at the simulator within milliseconds.
struct DemoStorefront {
    static let domain = "demo.myshopify.com"
    static let sku = "DEMO-TEE"
    static let accessToken = "shpat_demo"
    static let webhookSecret = "whsec_demo"

    struct Setup: Encodable {
        let shopId: Int64
        let productId: Int64
        let stockLocationId: Int64
        let levelsURL: String
    }

    let simulatorURL: String
    let webhookURL: String
    let secrets: SecretBox
    let database: Database
    let logger: Logger

    func setUp(company: Int64) async throws -> Setup {
        try await createSimulatedShop()
        let warehouse = try await demoWarehouse(company: company)
        let product = try await demoProduct(company: company)
        let shops = ShopRepository(database: database, secrets: secrets)
        var settings = ShopSettings()
        settings.apiBaseUrl = .value("\(simulatorURL)/shops/\(Self.domain)")
        settings.accessToken = .value(Self.accessToken)
        settings.webhookSecret = .value(Self.webhookSecret)
        settings.inventoryDirection = .value(.warehouseToShop)
        settings.monitoringOwner = .value("demo@stockyard.local")
        let existing = try await shops.list(company: company, shop: nil, page: PageRequest(limit: PageRequest.maxLimit), logger: logger).items.first { $0.domain == Self.domain }
        let shop = if let existing {
            try await shops.update(id: existing.id, settings: settings, company: company, logger: logger) ?? existing
        } else {
            try await shops.create(name: "Demo storefront", domain: Self.domain, settings: settings, company: company, logger: logger)
        }
        let importer = StorefrontImport(database: database, secrets: secrets)
        let locations = StorefrontLocationRepository(database: database)
        for location in try await importer.importLocations(shop: shop.id, company: company, logger: logger) {
            var changes = StorefrontLocationChanges()
            changes.sync = .value(.enabled)
            if location.externalId == 1 {
                changes.kind = .value(.online)
                changes.locationId = .value(warehouse.viewLocationId)
                changes.notes = .value("the whole demo warehouse")
            } else {
                changes.kind = .value(.retail)
                changes.locationId = .value(warehouse.lotStockId)
                changes.buffer = .value(1)
                changes.notes = .value("one kept back for walk-in customers")
            }
            _ = try await locations.update(id: location.id, shop: shop.id, changes: changes, company: company, logger: logger)
        }
        _ = try await importer.importVariants(shop: shop.id, createProducts: false, company: company, logger: logger)
        _ = try await StorefrontVariantRepository(database: database).confirm(variants: nil, shop: shop.id, company: company, logger: logger)
        if shop.cutoverState != "live" {
            _ = try await CutoverRepository(database: database).goLive(shop: shop.id, force: true, reason: "demo set up by ./ops/run",
                                                                       topSKUs: nil, token: nil, company: company, logger: logger)
        }
        return Setup(shopId: shop.id, productId: product.id, stockLocationId: warehouse.lotStockId,
                     levelsURL: "\(simulatorURL)/_simulator/shops/\(Self.domain)/levels")
    }

    private func createSimulatedShop() async throws {
        var request = HTTPClientRequest(url: "\(simulatorURL)/_simulator/shops")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: """
            {"domain":"\(Self.domain)","access_token":"\(Self.accessToken)","webhook_secret":"\(Self.webhookSecret)",
             "webhook_url":"\(webhookURL)",
             "locations":[{"id":1,"name":"Online Store"},{"id":2,"name":"Retail counter"}],
             "variants":[{"id":101,"sku":"\(Self.sku)","inventory_item_id":1001,"status":"ACTIVE"}],
             "levels":[{"inventory_item_id":1001,"location_id":1,"available":0},{"inventory_item_id":1001,"location_id":2,"available":0}]}
            """))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        guard response.status == .created else { throw DemoFailure("the simulator at \(simulatorURL) answered \(response.status)") }
    }

    private func demoWarehouse(company: Int64) async throws -> Warehouse {
        let warehouses = WarehouseRepository(database: database)
        if let first = try await warehouses.list(company: company, page: PageRequest(), logger: logger).items.first { return first }
        return try await warehouses.create(name: "Demo warehouse", code: "DEMO", reception: .oneStep, delivery: .shipOnly,
                                           company: company, logger: logger)
    }

    private func demoProduct(company: Int64) async throws -> Product {
        let products = ProductRepository(database: database)
        if let found = try await products.list(company: company, filter: ProductFilter(defaultCode: Self.sku), page: PageRequest(),
                                               logger: logger).items.first { return found }
        var fields = ProductFields()
        fields.name = .value("Demo T-shirt")
        fields.defaultCode = .value(Self.sku)
        return try await products.create(fields, company: company, logger: logger)
    }
}

struct DemoFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
