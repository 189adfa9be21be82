import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// A procurement runs the warehouse's route; a three-step delivery goes pick → pack → ship end to end.
@Suite struct DeliveryRouteTests {
    func quantities(_ client: any TestClientProtocol, product: Int64, token: String) async throws -> [Int64: Decimal] {
        let page = try await client.send(.get, "/v1/quants?product_id=\(product)", token: token).decode(Page<Quant>.self)
        return Dictionary(uniqueKeysWithValues: page.items.map { ($0.locationId, $0.quantity) })
    }

    @Test func aThreeStepDeliveryEndToEnd() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let company = try await environment.makeCompany()
            let token = company.token
            let wh = try await client.send(.post, "/v1/warehouses", token: token,
                                           json: #"{"name":"Main","code":"WH","delivery_steps":"pick_pack_ship"}"#).decode(Warehouse.self)
            let product = try await client.send(.post, "/v1/products", token: token, json: #"{"name":"Widget"}"#).decode(Product.self)
            _ = try await client.send(.post, "/v1/inventory-adjustments", token: token,
                                      json: #"{"product_id":\#(product.id),"location_id":\#(wh.lotStockId),"inventory_quantity":10}"#)

            let released = try await client.send(.post, "/v1/procurements", token: token,
                                                 json: #"{"product_id":\#(product.id),"quantity":4,"warehouse_id":\#(wh.id),"origin":"SO001"}"#)
            #expect(released.status == .created, "\(released.text)")
            let result = try released.decode(ProcurementRepository.Result.self)
            #expect(result.pickings.map(\.name) == ["WH/PICK/00001", "WH/PACK/00001", "WH/OUT/00001"])
            #expect(result.pickings.map(\.state) == [.confirmed, .waiting, .waiting])
            #expect(result.pickings.map { $0.moveIds.first?.procureMethod } == ["make_to_stock", "make_to_order", "make_to_order"])
            #expect(result.pickings.allSatisfy { $0.groupId == result.groupId && $0.origin == "SO001" })
            let (pick, pack, ship) = (result.pickings[0], result.pickings[1], result.pickings[2])
            #expect(ship.locationDestId != wh.whOutputStockLocId && ship.locationId == wh.whOutputStockLocId)

            _ = try await client.send(.post, "/v1/pickings/\(pick.id)/reserve", token: token)
            _ = try await client.send(.post, "/v1/pickings/\(pick.id)/validate", token: token)
            var onHand = try await quantities(client, product: product.id, token: token)
            #expect(onHand[wh.lotStockId] == 6 && onHand[wh.whPackStockLocId] == 4)
            let packReady = try await client.send(.get, "/v1/pickings/\(pack.id)", token: token).decode(Picking.self)
            #expect(packReady.state == .assigned, "the pack is reserved once the pick is done")

            _ = try await client.send(.post, "/v1/pickings/\(pack.id)/validate", token: token)
            onHand = try await quantities(client, product: product.id, token: token)
            #expect(onHand[wh.whPackStockLocId] == 0 && onHand[wh.whOutputStockLocId] == 4)
            let shipReady = try await client.send(.get, "/v1/pickings/\(ship.id)", token: token).decode(Picking.self)
            #expect(shipReady.state == .assigned)

            let shipped = try await client.send(.post, "/v1/pickings/\(ship.id)/validate", token: token)
                .decode(PickingRepository.ValidationResult.self)
            #expect(shipped.picking.state == .done)
            onHand = try await quantities(client, product: product.id, token: token)
            #expect(onHand[wh.whOutputStockLocId] == 0 && onHand[wh.lotStockId] == 6)
            try await expectQuantsMatchHistory(company: company.id, environment: environment)
        }
    }

    @Test func procurementsOfOneGroupShareTheirTransfers() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let company = try await environment.makeCompany()
            let token = company.token
            let wh = try await client.send(.post, "/v1/warehouses", token: token,
                                           json: #"{"name":"Main","code":"WH","delivery_steps":"pick_ship"}"#).decode(Warehouse.self)
            let a = try await client.send(.post, "/v1/products", token: token, json: #"{"name":"A"}"#).decode(Product.self)
            let b = try await client.send(.post, "/v1/products", token: token, json: #"{"name":"B"}"#).decode(Product.self)
            let first = try await client.send(.post, "/v1/procurements", token: token,
                                              json: #"{"product_id":\#(a.id),"quantity":1,"warehouse_id":\#(wh.id),"origin":"SO7"}"#)
                .decode(ProcurementRepository.Result.self)
            let second = try await client.send(.post, "/v1/procurements", token: token,
                                               json: #"{"product_id":\#(b.id),"quantity":2,"warehouse_id":\#(wh.id),"group_id":\#(first.groupId)}"#)
                .decode(ProcurementRepository.Result.self)
            #expect(second.pickings.map(\.id) == first.pickings.map(\.id), "same group, type and locations: same transfers")
            #expect(second.pickings.map { $0.moveIds.count } == [2, 2])
            let other = try await client.send(.post, "/v1/procurements", token: token,
                                              json: #"{"product_id":\#(a.id),"quantity":1,"warehouse_id":\#(wh.id),"origin":"SO8"}"#)
                .decode(ProcurementRepository.Result.self)
            #expect(Set(other.pickings.map(\.id)).isDisjoint(with: first.pickings.map(\.id)), "another order, other transfers")
        }
    }

    @Test func badProcurementsNameTheField() async throws {
        let environment = try await TestEnvironment.get()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let company = try await environment.makeCompany()
            let wh = try await client.send(.post, "/v1/warehouses", token: company.token, json: #"{"name":"Main","code":"WH"}"#).decode(Warehouse.self)
            let product = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"A"}"#).decode(Product.self)
            for (token, body, field) in [
                (company.token, #"{"product_id":\#(product.id),"quantity":0,"warehouse_id":\#(wh.id)}"#, "quantity"),
                (company.token, #"{"product_id":\#(product.id),"quantity":1,"warehouse_id":999999}"#, "warehouse_id"),
                (company.token, #"{"product_id":999999,"quantity":1,"warehouse_id":\#(wh.id)}"#, "product_id"),
                (company.token, #"{"product_id":\#(product.id),"quantity":1,"warehouse_id":\#(wh.id),"group_id":999999}"#, "group_id"),
                (b.token, #"{"product_id":\#(product.id),"quantity":1,"warehouse_id":\#(wh.id)}"#, "warehouse_id"),
            ] {
                let response = try await client.send(.post, "/v1/procurements", token: token, json: body)
                #expect(response.status == .unprocessableContent, "\(body) → \(response.text)")
                #expect(try response.json()["field"] as? String == field, "\(body) → \(response.text)")
            }
            let pickings = try await client.send(.get, "/v1/pickings", token: company.token).json()
            #expect((pickings["items"] as? [Any])?.isEmpty == true)
        }
    }
}
