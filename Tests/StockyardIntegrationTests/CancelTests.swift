import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Cancelling releases reservations and starves nothing silently.
@Suite struct CancelTests {
    @Test func cancellingATransferReleasesItsReservationsAndItsChainedDestination() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let company = try await environment.makeCompany()
            let token = company.token
            let wh = try await client.send(.post, "/v1/warehouses", token: token, json: #"{"name":"Main","code":"WH","delivery_steps":"pick_ship"}"#)
                .decode(Warehouse.self)
            let product = try await client.send(.post, "/v1/products", token: token, json: #"{"name":"Widget"}"#).decode(Product.self)
            _ = try await client.send(.post, "/v1/inventory-adjustments", token: token,
                                      json: #"{"product_id":\#(product.id),"location_id":\#(wh.lotStockId),"inventory_quantity":5}"#)
            let pick = try await client.send(.post, "/v1/pickings", token: token,
                                             json: #"{"picking_type_id":\#(wh.pickTypeId),"move_ids":[{"product_id":\#(product.id),"product_uom_qty":3}]}"#)
                .decode(Picking.self)
            let out = try await client.send(.post, "/v1/pickings", token: token,
                                            json: #"{"picking_type_id":\#(wh.outTypeId),"move_ids":[{"product_id":\#(product.id),"product_uom_qty":3}]}"#)
                .decode(Picking.self)
            let pickMove = try #require(pick.moveIds.first?.id), outMove = try #require(out.moveIds.first?.id)
            try await environment.app.withCompany(company.id, logger: environment.logger) { connection in
                _ = try await connection.rows("INSERT INTO stockyard.stock_move_move_rel (company_id, move_orig_id, move_dest_id) VALUES (\(company.id), \(pickMove), \(outMove))")
            }
            _ = try await client.send(.post, "/v1/pickings/\(out.id)/confirm", token: token)
            _ = try await client.send(.post, "/v1/pickings/\(pick.id)/reserve", token: token)

            let cancelled = try await client.send(.post, "/v1/pickings/\(pick.id)/cancel", token: token)
            #expect(cancelled.status == .ok, "\(cancelled.text)")
            #expect(try cancelled.decode(Picking.self).state == .cancel)
            let quants = try await client.send(.get, "/v1/quants?product_id=\(product.id)", token: token).decode(Page<Quant>.self)
            #expect(quants.items.allSatisfy { $0.reservedQuantity == 0 })
            let orphan = try await client.send(.get, "/v1/pickings/\(out.id)", token: token).decode(Picking.self)
            #expect(orphan.state == .cancel, "the delivery it alone fed is cancelled too")
            let again = try await client.send(.post, "/v1/pickings/\(pick.id)/cancel", token: token)
            #expect(again.status == .ok)
            try await expectQuantsMatchHistory(company: company.id, environment: environment)
        }
    }

    @Test func aDoneTransferOrMoveCannotBeCancelledAndOthersCannotCancelAtAll() async throws {
        let environment = try await TestEnvironment.get()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let company = try await environment.makeCompany()
            let token = company.token
            let wh = try await client.send(.post, "/v1/warehouses", token: token, json: #"{"name":"Main","code":"WH"}"#).decode(Warehouse.self)
            let product = try await client.send(.post, "/v1/products", token: token, json: #"{"name":"Widget"}"#).decode(Product.self)
            _ = try await client.send(.post, "/v1/inventory-adjustments", token: token,
                                      json: #"{"product_id":\#(product.id),"location_id":\#(wh.lotStockId),"inventory_quantity":5}"#)
            let out = try await client.send(.post, "/v1/pickings", token: token,
                                            json: #"{"picking_type_id":\#(wh.outTypeId),"move_ids":[{"product_id":\#(product.id),"product_uom_qty":2},{"product_id":\#(product.id),"product_uom_qty":1}]}"#)
                .decode(Picking.self)
            let second = try #require(out.moveIds.last?.id)
            let foreign = try await client.send(.post, "/v1/moves/\(second)/cancel", token: b.token)
            #expect(foreign.status == .notFound)
            let one = try await client.send(.post, "/v1/moves/\(second)/cancel", token: token).decode(StockMove.self)
            #expect(one.state == .cancel)
            _ = try await client.send(.post, "/v1/pickings/\(out.id)/reserve", token: token)
            let done = try await client.send(.post, "/v1/pickings/\(out.id)/validate", token: token).decode(PickingRepository.ValidationResult.self)
            #expect(done.picking.state == .done, "the cancelled move does not hold the rest back")
            #expect(try await client.send(.post, "/v1/pickings/\(out.id)/cancel", token: token).status == .conflict)
            #expect(try await client.send(.post, "/v1/moves/\(try #require(out.moveIds.first?.id))/cancel", token: token).status == .conflict)
            try await expectQuantsMatchHistory(company: company.id, environment: environment)
        }
    }

    @Test func cancellingTheFirstStepOfAThreeStepChainCancelsTheWholeChain() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let company = try await environment.makeCompany()
            let wh = try await client.send(.post, "/v1/warehouses", token: company.token,
                                           json: #"{"name":"Main","code":"WH","delivery_steps":"pick_pack_ship"}"#).decode(Warehouse.self)
            let product = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"Widget"}"#).decode(Product.self)
            let chain = try await client.send(.post, "/v1/procurements", token: company.token,
                                              json: #"{"product_id":\#(product.id),"quantity":2,"warehouse_id":\#(wh.id)}"#)
                .decode(ProcurementRepository.Result.self)
            #expect(chain.pickings.count == 3)
            let cancelled = try await client.send(.post, "/v1/pickings/\(chain.pickings[0].id)/cancel", token: company.token)
            #expect(cancelled.status == .ok)
            for picking in chain.pickings.dropFirst() {
                let now = try await client.send(.get, "/v1/pickings/\(picking.id)", token: company.token).decode(Picking.self)
                #expect(now.state == .cancel, "\(picking.name) is fed only by the cancelled pick, through the chain")
            }
            try await expectQuantsMatchHistory(company: company.id, environment: environment)
        }
    }
}
