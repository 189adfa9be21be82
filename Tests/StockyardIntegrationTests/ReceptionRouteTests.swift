import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Receipts and the reception route's push rules: two steps (Input → Stock) and three steps
/// (Input → Quality Control → Stock), with quants and the history checked at each step.
@Suite struct ReceptionRouteTests {
    struct Fixture {
        let company: TestCompany
        let warehouse: Warehouse
        let product: Product
    }

    func fixture(_ client: any TestClientProtocol, environment: TestEnvironment, reception: String) async throws -> Fixture {
        let company = try await environment.makeCompany()
        let warehouse = try await client.send(.post, "/v1/warehouses", token: company.token,
                                              json: #"{"name":"Main","code":"WH","reception_steps":"\#(reception)"}"#).decode(Warehouse.self)
        let product = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"Widget"}"#).decode(Product.self)
        return Fixture(company: company, warehouse: warehouse, product: product)
    }

    func receipt(_ client: any TestClientProtocol, _ f: Fixture, quantity: Decimal, origin: String = "PO001") async throws -> Picking {
        let created = try await client.send(.post, "/v1/pickings", token: f.company.token, json: #"""
            {"picking_type_id":\#(f.warehouse.inTypeId),"origin":"\#(origin)",
             "move_ids":[{"product_id":\#(f.product.id),"product_uom_qty":\#(quantity)}]}
            """#)
        #expect(created.status == .created, "\(created.text)")
        return try created.decode(Picking.self)
    }

    func picking(_ id: Int64, _ client: any TestClientProtocol, _ f: Fixture) async throws -> Picking {
        try await client.send(.get, "/v1/pickings/\(id)", token: f.company.token).decode(Picking.self)
    }

    func onHand(_ client: any TestClientProtocol, _ f: Fixture) async throws -> [Int64: Decimal] {
        let page = try await client.send(.get, "/v1/quants?product_id=\(f.product.id)", token: f.company.token).decode(Page<Quant>.self)
        return Dictionary(uniqueKeysWithValues: page.items.map { ($0.locationId, $0.quantity) })
    }

    /// The transfer holding the move that `move` pushes to.
    func next(after move: StockMove, _ client: any TestClientProtocol, _ f: Fixture) async throws -> (Picking, StockMove) {
        let destination = try #require(move.moveDestIds.first)
        #expect(move.moveDestIds.count == 1)
        let page = try await client.send(.get, "/v1/moves?product_id=\(f.product.id)", token: f.company.token).decode(Page<StockMove>.self)
        let next = try #require(page.items.first { $0.id == destination })
        return (try await picking(try #require(next.pickingId), client, f), next)
    }

    @Test func aOneStepReceiptGoesStraightToStock() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, reception: "one_step")
            let receipt = try await receipt(client, f, quantity: 7)
            #expect(receipt.name == "WH/IN/00001" && receipt.locationDestId == f.warehouse.lotStockId)
            let done = try await client.send(.post, "/v1/pickings/\(receipt.id)/validate", token: f.company.token)
            #expect(done.status == .ok, "a draft receipt is confirmed, reserved and validated in one call: \(done.text)")
            let result = try done.decode(PickingRepository.ValidationResult.self)
            #expect(result.picking.state == .done && result.picking.moveIds.allSatisfy { $0.moveDestIds.isEmpty })
            #expect(try await onHand(client, f) == [f.warehouse.lotStockId: 7])
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func twoStepsReceiveIntoInputThenStore() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, reception: "two_steps")
            let receipt = try await receipt(client, f, quantity: 10)
            #expect(receipt.locationDestId == f.warehouse.whInputStockLocId)

            let confirmed = try await client.send(.post, "/v1/pickings/\(receipt.id)/confirm", token: f.company.token).decode(Picking.self)
            let receiptMove = try #require(confirmed.moveIds.first)
            let (storage, storageMove) = try await next(after: receiptMove, client, f)
            #expect(storage.name == "WH/STOR/00001" && storage.pickingTypeId == f.warehouse.storeTypeId)
            #expect(storage.locationId == f.warehouse.whInputStockLocId && storage.locationDestId == f.warehouse.lotStockId)
            #expect(storage.state == .waiting && storage.origin == "PO001")
            #expect(storageMove.procureMethod == "make_to_order" && storageMove.productUomQty == 10 && storageMove.moveOrigIds == [receiptMove.id])

            let again = try await client.send(.post, "/v1/pickings/\(receipt.id)/confirm", token: f.company.token).decode(Picking.self)
            #expect(again.moveIds.first?.moveDestIds == receiptMove.moveDestIds, "confirming again pushes nothing new")

            let reserved = try await client.send(.post, "/v1/pickings/\(receipt.id)/reserve", token: f.company.token).decode(Picking.self)
            #expect(reserved.state == .assigned, "goods from a vendor bypass reservation")
            _ = try await client.send(.post, "/v1/pickings/\(receipt.id)/validate", token: f.company.token)
            #expect(try await onHand(client, f) == [f.warehouse.whInputStockLocId: 10])
            #expect(try await picking(storage.id, client, f).state == .assigned, "the storage step is ready once the goods are in Input")
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)

            _ = try await client.send(.post, "/v1/pickings/\(storage.id)/validate", token: f.company.token)
            let stored = try await onHand(client, f)
            #expect(stored[f.warehouse.lotStockId] == 10 && (stored[f.warehouse.whInputStockLocId] ?? 0) == 0)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func threeStepsGoThroughQualityControl() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, reception: "three_steps")
            let receipt = try await receipt(client, f, quantity: 4)
            let confirmed = try await client.send(.post, "/v1/pickings/\(receipt.id)/confirm", token: f.company.token).decode(Picking.self)
            let (qualityControl, qcMove) = try await next(after: try #require(confirmed.moveIds.first), client, f)
            #expect(qualityControl.name == "WH/QC/00001" && qualityControl.locationDestId == f.warehouse.whQcStockLocId)
            let (storage, _) = try await next(after: qcMove, client, f)
            #expect(storage.name == "WH/STOR/00001" && storage.locationId == f.warehouse.whQcStockLocId
                    && storage.locationDestId == f.warehouse.lotStockId)
            #expect(qualityControl.state == .waiting && storage.state == .waiting)

            _ = try await client.send(.post, "/v1/pickings/\(receipt.id)/validate", token: f.company.token)
            #expect(try await onHand(client, f)[f.warehouse.whInputStockLocId] == 4)
            #expect(try await picking(qualityControl.id, client, f).state == .assigned)
            #expect(try await picking(storage.id, client, f).state == .waiting, "storage waits for quality control")

            _ = try await client.send(.post, "/v1/pickings/\(qualityControl.id)/validate", token: f.company.token)
            #expect(try await onHand(client, f)[f.warehouse.whQcStockLocId] == 4)
            #expect(try await picking(storage.id, client, f).state == .assigned)

            _ = try await client.send(.post, "/v1/pickings/\(storage.id)/validate", token: f.company.token)
            let stored = try await onHand(client, f)
            #expect(stored[f.warehouse.lotStockId] == 4 && (stored[f.warehouse.whQcStockLocId] ?? 0) == 0)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func aShortReceiptsBackorderKeepsTheChainAndStorageTakesOnlyWhatArrived() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, reception: "two_steps")
            let receipt = try await receipt(client, f, quantity: 10)
            let reserved = try await client.send(.post, "/v1/pickings/\(receipt.id)/reserve", token: f.company.token).decode(Picking.self)
            let move = try #require(reserved.moveIds.first)
            let (storage, _) = try await next(after: move, client, f)

            let result = try await client.send(.post, "/v1/pickings/\(receipt.id)/validate", token: f.company.token, json: #"""
                {"quantities":[{"move_id":\#(move.id),"quantity":6}],"create_backorder":true}
                """#).decode(PickingRepository.ValidationResult.self)
            let backorder = try #require(result.backorder)
            #expect(backorder.name == "WH/IN/00002" && backorder.backorderId == receipt.id)
            #expect(backorder.moveIds.first?.productUomQty == 4 && backorder.moveIds.first?.moveDestIds == move.moveDestIds,
                    "the remainder still feeds the same storage move")
            let partly = try await picking(storage.id, client, f)
            #expect(partly.state == .assigned && partly.moveIds.first?.state == .partiallyAvailable)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)

            _ = try await client.send(.post, "/v1/pickings/\(backorder.id)/validate", token: f.company.token)
            #expect(try await picking(storage.id, client, f).moveIds.first?.state == .assigned, "the rest arrived")
            _ = try await client.send(.post, "/v1/pickings/\(storage.id)/validate", token: f.company.token)
            #expect(try await onHand(client, f)[f.warehouse.lotStockId] == 10)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func anotherCompanyCannotTouchAReceiptOrItsStorage() async throws {
        let environment = try await TestEnvironment.get()
        let other = try await environment.makeCompany()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, reception: "two_steps")
            let receipt = try await receipt(client, f, quantity: 3)
            for action in ["confirm", "reserve", "validate", "cancel"] {
                let response = try await client.send(.post, "/v1/pickings/\(receipt.id)/\(action)", token: other.token)
                #expect(response.status == .notFound, "\(action)")
            }
            #expect(try await picking(receipt.id, client, f).state == .draft)
            let foreignType = try await client.send(.post, "/v1/pickings", token: other.token, json: #"""
                {"picking_type_id":\#(f.warehouse.inTypeId),"move_ids":[{"product_id":\#(f.product.id),"product_uom_qty":1}]}
                """#)
            #expect(foreignType.status == .unprocessableContent, "another company's operation type does not exist for B")
        }
        // As the app role, B's scope sees none of A's pushed moves.
        let visible = try await environment.app.withCompany(other.id, logger: environment.logger) { connection in
            try await connection.rows("SELECT count(*)::int FROM stockyard.stock_moves").collect()[0].decode(Int.self)
        }
        #expect(visible == 0)
    }
}
