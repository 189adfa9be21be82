import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Reservation (`action_assign`): FIFO from the quants under the source, partial when short, never over-reserved.
@Suite struct ReservationTests {
    struct Fixture {
        let company: TestCompany
        let warehouse: Warehouse
        let product: Product
        let shelfA: Location
        let shelfB: Location
    }

    func fixture(_ client: any TestClientProtocol, environment: TestEnvironment, onShelfA: Decimal, onShelfB: Decimal) async throws -> Fixture {
        let company = try await environment.makeCompany()
        let warehouse = try await client.send(.post, "/v1/warehouses", token: company.token,
                                              json: #"{"name":"Main","code":"WH","delivery_steps":"pick_ship"}"#).decode(Warehouse.self)
        let product = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"Widget"}"#).decode(Product.self)
        let shelfA = try await client.post(location: #"{"name":"A","location_id":\#(warehouse.lotStockId)}"#, token: company.token)
        let shelfB = try await client.post(location: #"{"name":"B","location_id":\#(warehouse.lotStockId)}"#, token: company.token)
        for (shelf, quantity) in [(shelfA, onShelfA), (shelfB, onShelfB)] where quantity > 0 {
            let counted = try await client.send(.post, "/v1/inventory-adjustments", token: company.token,
                                                json: #"{"product_id":\#(product.id),"location_id":\#(shelf.id),"inventory_quantity":\#(quantity)}"#)
            guard counted.status == .created else { throw TestFailure("count failed: \(counted.text)") }
        }
        return Fixture(company: company, warehouse: warehouse, product: product, shelfA: shelfA, shelfB: shelfB)
    }

    func pick(_ client: any TestClientProtocol, _ f: Fixture, quantity: Decimal) async throws -> Picking {
        try await client.send(.post, "/v1/pickings", token: f.company.token,
                              json: #"{"picking_type_id":\#(f.warehouse.pickTypeId),"move_ids":[{"product_id":\#(f.product.id),"product_uom_qty":\#(quantity)}]}"#)
            .decode(Picking.self)
    }

    func lines(_ picking: Int64, _ f: Fixture, environment: TestEnvironment) async throws -> [(location: Int64, quantity: Decimal)] {
        try await environment.app.withCompany(f.company.id, logger: environment.logger) { connection in
            try await connection.rows("SELECT location_id, quantity FROM stockyard.stock_move_lines WHERE picking_id = \(picking) ORDER BY id")
                .collect().map { try $0.decode((Int64, Decimal).self) }.map { (location: $0.0, quantity: $0.1) }
        }
    }

    @Test func reservesOldestQuantsFirstAndSplitsAcrossLocations() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onShelfA: 4, onShelfB: 10)
            let picking = try await pick(client, f, quantity: 6)
            let reserved = try await client.send(.post, "/v1/pickings/\(picking.id)/reserve", token: f.company.token)
            #expect(reserved.status == .ok, "\(reserved.text)")
            let after = try reserved.decode(Picking.self)
            #expect(after.state == .assigned && after.moveIds.first?.state == .assigned)
            let taken = try await lines(picking.id, f, environment: environment)
            #expect(taken.map(\.location) == [f.shelfA.id, f.shelfB.id], "shelf A was counted first: its stock goes first")
            #expect(taken.map(\.quantity) == [4, 2])
            let quants = try await client.send(.get, "/v1/quants?product_id=\(f.product.id)", token: f.company.token).decode(Page<Quant>.self)
            #expect(quants.items.map(\.reservedQuantity).reduce(0, +) == 6)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func aShortReservationIsPartialAndUnreserveGivesItAllBack() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onShelfA: 3, onShelfB: 0)
            let picking = try await pick(client, f, quantity: 5)
            let reserved = try await client.send(.post, "/v1/pickings/\(picking.id)/reserve", token: f.company.token).decode(Picking.self)
            #expect(reserved.moveIds.first?.state == .partiallyAvailable)
            #expect(reserved.state == .assigned, "a direct transfer is ready when part of it is")
            // Reserving again takes nothing more: there is nothing more.
            _ = try await client.send(.post, "/v1/pickings/\(picking.id)/reserve", token: f.company.token)
            #expect(try await lines(picking.id, f, environment: environment).map(\.quantity) == [3])

            let released = try await client.send(.post, "/v1/pickings/\(picking.id)/unreserve", token: f.company.token).decode(Picking.self)
            #expect(released.state == .confirmed && released.moveIds.first?.state == .confirmed)
            #expect(try await lines(picking.id, f, environment: environment).isEmpty)
            let quants = try await client.send(.get, "/v1/quants?product_id=\(f.product.id)", token: f.company.token).decode(Page<Quant>.self)
            #expect(quants.items.allSatisfy { $0.reservedQuantity == 0 })
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func concurrentReservationsNeverReserveMoreThanIsOnHand() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onShelfA: 12, onShelfB: 8)
            var pickings: [Picking] = []
            for _ in 0..<10 { pickings.append(try await pick(client, f, quantity: 3)) }
            let ids = pickings.map(\.id)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask {
                        let response = try await client.send(.post, "/v1/pickings/\(id)/reserve", token: f.company.token)
                        guard response.status == .ok else { throw TestFailure("reserve \(id): \(response.text)") }
                    }
                }
                try await group.waitForAll()
            }
            let totals = try await environment.app.withCompany(f.company.id, logger: environment.logger) { connection in
                try await connection.rows("""
                    SELECT (SELECT sum(quantity) FROM stockyard.stock_move_lines WHERE state <> 'done'),
                           (SELECT sum(reserved_quantity) FROM stockyard.stock_quants),
                           (SELECT count(*)::int FROM stockyard.stock_quants WHERE reserved_quantity > quantity)
                    """).collect()[0].decode((Decimal, Decimal, Int).self)
            }
            #expect(totals.0 == 20 && totals.1 == 20, "all 20 on hand reserved, exactly once: \(totals)")
            #expect(totals.2 == 0, "no quant is reserved beyond what it holds")
            let states = try await client.send(.get, "/v1/pickings?limit=50", token: f.company.token).decode(Page<Picking>.self)
                .items.compactMap { $0.moveIds.first?.state }
            #expect(states.filter { $0 == .assigned }.count == 6 && states.filter { $0 == .partiallyAvailable }.count == 1)
            #expect(states.filter { $0 == .confirmed }.count == 3)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func doneOrForeignTransfersCannotBeReserved() async throws {
        let environment = try await TestEnvironment.get()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onShelfA: 5, onShelfB: 0)
            let picking = try await pick(client, f, quantity: 2)
            let foreign = try await client.send(.post, "/v1/pickings/\(picking.id)/reserve", token: b.token)
            let foreignRelease = try await client.send(.post, "/v1/pickings/\(picking.id)/unreserve", token: b.token)
            #expect(foreign.status == .notFound && foreignRelease.status == .notFound)
            #expect(try await lines(picking.id, f, environment: environment).isEmpty, "B's attempt reserved nothing")
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }
}
