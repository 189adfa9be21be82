import Foundation
import HummingbirdTesting
import PostgresNIO
import StockyardCore
import StockyardStore
import Testing

/// Counting stock: every change of an on-hand quantity is a done move from or to `Inventory adjustment`.
@Suite struct InventoryAdjustmentTests {
    struct Fixture {
        let company: TestCompany
        let stock: Location
        let shelf: Location
        let product: Product
    }

    func fixture(_ client: any TestClientProtocol, environment: TestEnvironment) async throws -> Fixture {
        let company = try await environment.makeCompany()
        let stock = try await client.post(location: #"{"name":"Stock"}"#, token: company.token)
        let shelf = try await client.post(location: #"{"name":"Shelf 1","location_id":\#(stock.id)}"#, token: company.token)
        let product = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"Widget","default_code":"W"}"#)
            .decode(Product.self)
        return Fixture(company: company, stock: stock, shelf: shelf, product: product)
    }

    @Test func countsAndDeltasBecomeMovesThatExplainTheQuant() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let token = f.company.token
            let counted = try await client.send(.post, "/v1/inventory-adjustments", token: token,
                                                json: #"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"inventory_quantity":12.5}"#)
            #expect(counted.status == .created, "\(counted.text)")
            let first = try counted.decode(AdjustmentResult.self)
            #expect(first.quant.quantity == 12.5 && first.quant.availableQuantity == 12.5)
            let inMove = try #require(first.move)
            #expect(inMove.state == .done && inMove.isInventory && inMove.locationDestId == f.shelf.id && inMove.quantity == 12.5)

            let delta = try await client.send(.post, "/v1/inventory-adjustments", token: token,
                                              json: #"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":-2.5}"#)
            let second = try delta.decode(AdjustmentResult.self)
            #expect(second.quant.quantity == 10)
            #expect(second.move?.locationId == f.shelf.id && second.move?.quantity == 2.5)

            // The same count again changes nothing and moves nothing.
            let same = try await client.send(.post, "/v1/inventory-adjustments", token: token,
                                             json: #"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"inventory_quantity":10}"#)
            #expect(same.status == .ok)
            #expect(try same.decode(AdjustmentResult.self).move == nil)

            // Quants under Stock include the shelf; the moves are the product's history.
            let quants = try await client.send(.get, "/v1/quants?child_of=\(f.stock.id)", token: token).json()
            let items = quants["items"] as? [[String: Any]] ?? []
            #expect(items.count == 1 && (items.first?["available_quantity"] as? Double) == 10)
            let history = try await client.send(.get, "/v1/moves?product_id=\(f.product.id)&state=done", token: token).json()
            #expect((history["items"] as? [Any])?.count == 2)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func adjustmentsAreRefusedWhereStockCannotBeCounted() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let token = f.company.token
            let view = try await client.post(location: #"{"name":"Zone","usage":"view"}"#, token: token)
            let service = try await client.send(.post, "/v1/products", token: token, json: #"{"name":"Install","type":"service"}"#)
                .decode(Product.self)
            let cases: [(String, String)] = [
                (#"{"product_id":\#(f.product.id),"location_id":\#(view.id),"inventory_quantity":1}"#, "location_id"),
                (#"{"product_id":\#(service.id),"location_id":\#(f.shelf.id),"inventory_quantity":1}"#, "product_id"),
                (#"{"product_id":999999999,"location_id":\#(f.shelf.id),"inventory_quantity":1}"#, "product_id"),
                (#"{"product_id":\#(f.product.id),"location_id":999999999,"inventory_quantity":1}"#, "location_id"),
                (#"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"inventory_quantity":-1}"#, "inventory_quantity"),
                (#"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":-1}"#, "delta"),
                (#"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id)}"#, "inventory_quantity"),
                (#"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":1,"inventory_quantity":1}"#, "inventory_quantity"),
                (#"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":0.00001}"#, "delta"),
                (#"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":"many"}"#, "delta"),
            ]
            for (body, field) in cases {
                let response = try await client.send(.post, "/v1/inventory-adjustments", token: token, json: body)
                #expect(response.status == .unprocessableContent, "\(body) → \(response.text)")
                #expect(try response.json()["field"] as? String == field, "\(body) → \(response.text)")
            }
            let moves = try await client.send(.get, "/v1/moves", token: token).json()
            #expect((moves["items"] as? [Any])?.isEmpty == true, "nothing was written")
        }
    }

    @Test func aLocationHoldingStockCannotBecomeAView() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            _ = try await client.send(.post, "/v1/inventory-adjustments", token: f.company.token,
                                      json: #"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":3}"#)
            let response = try await client.send(.patch, "/v1/locations/\(f.shelf.id)", token: f.company.token, json: #"{"usage":"view"}"#)
            #expect(response.status == .unprocessableContent, "\(response.text)")
            #expect(try response.json()["field"] as? String == "usage")
        }
    }

    @Test func concurrentDeltasOnOneQuantAllCount() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let body = #"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":1}"#
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask { _ = try await client.send(.post, "/v1/inventory-adjustments", token: f.company.token, json: body) }
                }
                try await group.waitForAll()
            }
            let quants = try await client.send(.get, "/v1/quants?product_id=\(f.product.id)", token: f.company.token).json()
            #expect((quants["items"] as? [[String: Any]])?.first?["quantity"] as? Double == 20)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func companyBCannotCountOrSeeCompanyAStock() async throws {
        let environment = try await TestEnvironment.get()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            _ = try await client.send(.post, "/v1/inventory-adjustments", token: f.company.token,
                                      json: #"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":5}"#)
            let foreign = try await client.send(.post, "/v1/inventory-adjustments", token: b.token,
                                                json: #"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":5}"#)
            #expect(foreign.status == .unprocessableContent)
            let quants = try await client.send(.get, "/v1/quants?product_id=\(f.product.id)", token: b.token).json()
            let moves = try await client.send(.get, "/v1/moves?product_id=\(f.product.id)", token: b.token).json()
            #expect((quants["items"] as? [Any])?.isEmpty == true && (moves["items"] as? [Any])?.isEmpty == true)
        }
    }

    /// A refused first count of a product at a location writes nothing at all, not even the empty quant it would
    /// have started from.
    @Test func aRefusedFirstCountLeavesNoQuant() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let refused = try await client.send(.post, "/v1/inventory-adjustments", token: f.company.token,
                                                json: #"{"product_id":\#(f.product.id),"location_id":\#(f.shelf.id),"delta":-2}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.json()["field"] as? String == "delta")
            let quants = try await client.send(.get, "/v1/quants?product_id=\(f.product.id)", token: f.company.token).json()
            #expect((quants["items"] as? [Any])?.isEmpty == true)
        }
    }

    /// The one-statement adjustment (migration 0019) as the app role in SQL: company B naming A's location and product
    /// finds no location and writes nothing, and cannot run inside A's transaction to turn it into B's.
    @Test func companyBCannotAdjustCompanyAStockInSQL() async throws {
        let environment = try await TestEnvironment.get()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let adjust = "SELECT count(*)::int FROM stockyard.apply_inventory_adjustment"
            let rows = try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
                try await connection.rows("\(unescaped: adjust)(\(b.id), \(f.product.id), \(f.shelf.id), NULL, 5)").collect()[0].decode(Int.self)
            }
            #expect(rows == 0, "no such location in B")
            await #expect(throws: PSQLError.self) {
                try await environment.app.withCompany(f.company.id, logger: environment.logger) { connection in
                    _ = try await connection.rows("\(unescaped: adjust)(\(b.id), \(f.product.id), \(f.shelf.id), NULL, 5)").collect()
                }
            }
            let quants = try await environment.app.withCompany(f.company.id, logger: environment.logger) { connection in
                try await connection.rows("SELECT count(*)::int FROM stockyard.stock_quants WHERE product_id = \(f.product.id)")
                    .collect()[0].decode(Int.self)
            }
            #expect(quants == 0, "nothing was counted for A")
        }
    }

    @Test func everyCompanyGetsOdoosVirtualLocations() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let names = try await environment.app.withCompany(a.id, logger: environment.logger) { connection in
            try await connection.rows("SELECT complete_name || ':' || usage FROM stockyard.stock_locations ORDER BY id").collect()
                .map { try $0.decode(String.self) }
        }
        #expect(names == ["Partners:view", "Virtual Locations:view", "Partners/Vendors:supplier", "Partners/Customers:customer",
                          "Virtual Locations/Inventory adjustment:inventory", "Virtual Locations/Transit:transit"])
    }
}
