import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Validation: quants move line by line; short picks make a backorder or cancel the rest, as the type says.
@Suite struct ValidationTests {
    struct Fixture {
        let company: TestCompany
        let warehouse: Warehouse
        let product: Product
        let shelf: Location
    }

    func fixture(_ client: any TestClientProtocol, environment: TestEnvironment, onHand: Decimal) async throws -> Fixture {
        let company = try await environment.makeCompany()
        let warehouse = try await client.send(.post, "/v1/warehouses", token: company.token,
                                              json: #"{"name":"Main","code":"WH","delivery_steps":"pick_ship"}"#).decode(Warehouse.self)
        let product = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"Widget"}"#).decode(Product.self)
        let shelf = try await client.post(location: #"{"name":"A","location_id":\#(warehouse.lotStockId)}"#, token: company.token)
        _ = try await client.send(.post, "/v1/inventory-adjustments", token: company.token,
                                  json: #"{"product_id":\#(product.id),"location_id":\#(shelf.id),"inventory_quantity":\#(onHand)}"#)
        return Fixture(company: company, warehouse: warehouse, product: product, shelf: shelf)
    }

    func reservedPick(_ client: any TestClientProtocol, _ f: Fixture, quantity: Decimal) async throws -> Picking {
        let picking = try await client.send(.post, "/v1/pickings", token: f.company.token,
                                            json: #"{"picking_type_id":\#(f.warehouse.pickTypeId),"move_ids":[{"product_id":\#(f.product.id),"product_uom_qty":\#(quantity)}]}"#)
            .decode(Picking.self)
        return try await client.send(.post, "/v1/pickings/\(picking.id)/reserve", token: f.company.token).decode(Picking.self)
    }

    func quantity(at location: Int64, _ f: Fixture, _ client: any TestClientProtocol) async throws -> Decimal {
        let page = try await client.send(.get, "/v1/quants?product_id=\(f.product.id)", token: f.company.token).decode(Page<Quant>.self)
        return page.items.first { $0.locationId == location }?.quantity ?? 0
    }

    @Test func aFullPickMovesTheQuantsAndIsDone() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onHand: 8)
            let pick = try await reservedPick(client, f, quantity: 5)
            let response = try await client.send(.post, "/v1/pickings/\(pick.id)/validate", token: f.company.token)
            #expect(response.status == .ok, "\(response.text)")
            let result = try response.decode(PickingRepository.ValidationResult.self)
            #expect(result.picking.state == .done && result.backorder == nil)
            #expect(result.picking.moveIds.first?.state == .done && result.picking.moveIds.first?.quantity == 5)
            #expect(try await quantity(at: f.shelf.id, f, client) == 3)
            #expect(try await quantity(at: f.warehouse.whOutputStockLocId, f, client) == 5)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
            let again = try await client.send(.post, "/v1/pickings/\(pick.id)/validate", token: f.company.token)
            #expect(again.status == .conflict)
        }
    }

    @Test func aShortPickAsksThenMakesABackorderThatKeepsTheRest() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onHand: 10)
            let pick = try await reservedPick(client, f, quantity: 6)
            let move = try #require(pick.moveIds.first)
            let short = #"{"quantities":[{"move_id":\#(move.id),"quantity":4}]}"#
            let asked = try await client.send(.post, "/v1/pickings/\(pick.id)/validate", token: f.company.token, json: short)
            #expect(asked.status == .unprocessableContent)
            #expect(try asked.json()["field"] as? String == "create_backorder")

            let withBackorder = #"{"quantities":[{"move_id":\#(move.id),"quantity":4}],"create_backorder":true}"#
            let result = try await client.send(.post, "/v1/pickings/\(pick.id)/validate", token: f.company.token, json: withBackorder)
                .decode(PickingRepository.ValidationResult.self)
            let backorder = try #require(result.backorder)
            #expect(result.picking.state == .done && result.picking.moveIds.first?.quantity == 4)
            #expect(backorder.name == "WH/PICK/00002" && backorder.backorderId == pick.id)
            #expect(backorder.moveIds.map(\.productUomQty) == [2] && backorder.moveIds.first?.state == .assigned, "its reservation came along")
            #expect(backorder.state == .assigned)
            #expect(try await quantity(at: f.shelf.id, f, client) == 6)
            let rest = try await client.send(.post, "/v1/pickings/\(backorder.id)/validate", token: f.company.token)
                .decode(PickingRepository.ValidationResult.self)
            #expect(rest.picking.state == .done)
            #expect(try await quantity(at: f.warehouse.whOutputStockLocId, f, client) == 6)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func noBackorderCancelsTheRestAndReleasesItsReservation() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onHand: 10)
            _ = try await client.send(.patch, "/v1/picking-types/\(f.warehouse.pickTypeId)", token: f.company.token,
                                      json: #"{"create_backorder":"never"}"#)
            let pick = try await reservedPick(client, f, quantity: 6)
            let move = try #require(pick.moveIds.first)
            let result = try await client.send(.post, "/v1/pickings/\(pick.id)/validate", token: f.company.token,
                                               json: #"{"quantities":[{"move_id":\#(move.id),"quantity":4}]}"#)
                .decode(PickingRepository.ValidationResult.self)
            #expect(result.backorder == nil && result.picking.state == .done)
            #expect(Set(result.picking.moveIds.map(\.state)) == [.done, .cancel])
            let quants = try await client.send(.get, "/v1/quants?product_id=\(f.product.id)", token: f.company.token).decode(Page<Quant>.self)
            #expect(quants.items.allSatisfy { $0.reservedQuantity == 0 }, "the unpicked 2 are free again")
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func aChainedDeliveryIsReservedWhenItsPickIsDone() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onHand: 10)
            let pick = try await reservedPick(client, f, quantity: 3)
            let out = try await client.send(.post, "/v1/pickings", token: f.company.token,
                                            json: #"{"picking_type_id":\#(f.warehouse.outTypeId),"move_ids":[{"product_id":\#(f.product.id),"product_uom_qty":3}]}"#)
                .decode(Picking.self)
            // The chain procurement will create (pick → ship), linked here directly.
            let pickMove = try #require(pick.moveIds.first?.id), outMove = try #require(out.moveIds.first?.id)
            try await environment.app.withCompany(f.company.id, logger: environment.logger) { connection in
                _ = try await connection.rows("INSERT INTO stockyard.stock_move_move_rel (company_id, move_orig_id, move_dest_id) VALUES (\(f.company.id), \(pickMove), \(outMove))")
            }
            let waiting = try await client.send(.post, "/v1/pickings/\(out.id)/reserve", token: f.company.token).decode(Picking.self)
            #expect(waiting.state == .waiting, "a chained move reserves nothing before its origin is done")
            _ = try await client.send(.post, "/v1/pickings/\(pick.id)/validate", token: f.company.token)
            let ready = try await client.send(.get, "/v1/pickings/\(out.id)", token: f.company.token).decode(Picking.self)
            #expect(ready.state == .assigned && ready.moveIds.first?.state == .assigned)
            let shipped = try await client.send(.post, "/v1/pickings/\(out.id)/validate", token: f.company.token)
                .decode(PickingRepository.ValidationResult.self)
            #expect(shipped.picking.state == .done)
            #expect(try await quantity(at: f.warehouse.whOutputStockLocId, f, client) == 0)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func invalidValidationsChangeNothing() async throws {
        let environment = try await TestEnvironment.get()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onHand: 5)
            // A draft is confirmed and reserved first (Odoo's button_validate); from an empty location nothing is.
            let draft = try await client.send(.post, "/v1/pickings", token: f.company.token, json: #"""
                {"picking_type_id":\#(f.warehouse.pickTypeId),"location_id":\#(f.warehouse.whInputStockLocId),
                 "move_ids":[{"product_id":\#(f.product.id),"product_uom_qty":2}]}
                """#).decode(Picking.self)
            let notReady = try await client.send(.post, "/v1/pickings/\(draft.id)/validate", token: f.company.token)
            #expect(notReady.status == .conflict)
            let unchanged = try await client.send(.get, "/v1/pickings/\(draft.id)", token: f.company.token).decode(Picking.self)
            #expect(unchanged.state == .draft, "the confirmation rolled back with the refused validation")
            let pick = try await reservedPick(client, f, quantity: 2)
            let move = try #require(pick.moveIds.first)
            for body in [#"{"quantities":[{"move_id":\#(move.id),"quantity":3}]}"#, #"{"quantities":[{"move_id":999999,"quantity":1}]}"#,
                         #"{"quantities":[{"move_id":\#(move.id),"quantity":-1}]}"#] {
                let response = try await client.send(.post, "/v1/pickings/\(pick.id)/validate", token: f.company.token, json: body)
                #expect(response.status == .unprocessableContent, "\(body) → \(response.text)")
            }
            let foreign = try await client.send(.post, "/v1/pickings/\(pick.id)/validate", token: b.token)
            #expect(foreign.status == .notFound)
            let still = try await client.send(.get, "/v1/pickings/\(pick.id)", token: f.company.token).decode(Picking.self)
            #expect(still.state == .assigned)
            #expect(try await quantity(at: f.shelf.id, f, client) == 5)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }
}
