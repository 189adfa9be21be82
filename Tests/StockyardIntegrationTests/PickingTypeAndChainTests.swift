import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Operation types created through the API, and transfers whose moves are chained to existing moves.
@Suite struct PickingTypeAndChainTests {
    @Test func anOperationTypeNamesItsTransfersAndBadInputIsRefused() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let wh = try await client.send(.post, "/v1/warehouses", token: a.token, json: #"{"name":"WH","code":"WH"}"#).decode(Warehouse.self)
            let otherWH = try await client.send(.post, "/v1/warehouses", token: b.token, json: #"{"name":"WH","code":"WB"}"#).decode(Warehouse.self)
            let created = try await client.send(.post, "/v1/picking-types", token: a.token, json: #"""
                {"name":"Pick Handover","code":"internal","sequence_code":"HO","warehouse_id":\#(wh.id),"checkout_sync":true,
                 "default_location_src_id":\#(wh.lotStockId),"default_location_dest_id":\#(wh.whOutputStockLocId)}
                """#)
            #expect(created.status == .created, "\(created.text)")
            let type = try created.decode(PickingType.self)
            #expect(type.checkoutSync && type.createBackorder == .ask && type.warehouseId == wh.id)
            let product = try await client.send(.post, "/v1/products", token: a.token, json: #"{"name":"X"}"#).decode(Product.self)
            let picking = try await client.send(.post, "/v1/pickings", token: a.token,
                                                json: #"{"picking_type_id":\#(type.id),"move_ids":[{"product_id":\#(product.id),"product_uom_qty":1}]}"#)
            #expect(try picking.decode(Picking.self).name == "WH/HO/00001")

            for (body, field) in [
                (#"{"name":"Again","code":"internal","sequence_code":"HO","warehouse_id":\#(wh.id)}"#, "sequence_code"),
                (#"{"name":"Bad","code":"internal","sequence_code":"H O"}"#, "sequence_code"),
                (#"{"name":"Bad","code":"sideways","sequence_code":"SW"}"#, "code"),
                (#"{"name":"Bad","code":"internal","sequence_code":"X1","warehouse_id":\#(otherWH.id)}"#, "warehouse_id"),
                (#"{"name":"Bad","code":"internal","sequence_code":"X2","default_location_src_id":\#(otherWH.lotStockId)}"#, "default_location_src_id"),
                (#"{"name":" ","code":"internal","sequence_code":"X3"}"#, "name"),
            ] {
                let response = try await client.send(.post, "/v1/picking-types", token: a.token, json: body)
                #expect(response.status == .unprocessableContent && response.isProblem, "\(body): \(response.text)")
                #expect(try response.json()["field"] as? String == field, "\(body): \(response.text)")
            }
            let reader = try await environment.issueToken(company: a.id, scopes: [.stockRead])
            #expect(try await client.send(.post, "/v1/picking-types", token: reader.token,
                                          json: #"{"name":"R","code":"internal","sequence_code":"R"}"#).status == .forbidden)
            let types = try await client.send(.get, "/v1/picking-types?warehouse_id=\(wh.id)", token: b.token).decode(Page<PickingType>.self)
            #expect(types.items.isEmpty, "B sees none of A's types")
        }
    }

    @Test func aMoveChainedToExistingMovesWaitsForThemAndForeignOriginsAreRefused() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            func setup(_ token: String, code: String) async throws -> (Warehouse, Product, Picking) {
                let wh = try await client.send(.post, "/v1/warehouses", token: token,
                                               json: #"{"name":"WH","code":"\#(code)","delivery_steps":"pick_pack_ship"}"#).decode(Warehouse.self)
                let product = try await client.send(.post, "/v1/products", token: token, json: #"{"name":"X"}"#).decode(Product.self)
                let pick = try await client.send(.post, "/v1/pickings", token: token,
                                                 json: #"{"picking_type_id":\#(wh.pickTypeId),"move_ids":[{"product_id":\#(product.id),"product_uom_qty":2}]}"#)
                    .decode(Picking.self)
                return (wh, product, pick)
            }
            let (wh, product, pick) = try await setup(a.token, code: "WA")
            let (_, _, foreignPick) = try await setup(b.token, code: "WB")
            let origin = pick.moveIds[0].id
            let pack = try await client.send(.post, "/v1/pickings", token: a.token, json: #"""
                {"picking_type_id":\#(wh.packTypeId),"move_ids":[{"product_id":\#(product.id),"product_uom_qty":2,"move_orig_ids":[\#(origin)]}]}
                """#)
            #expect(pack.status == .created, "\(pack.text)")
            let packPicking = try pack.decode(Picking.self)
            #expect(packPicking.moveIds[0].moveOrigIds == [origin])
            let confirmed = try await client.send(.post, "/v1/pickings/\(packPicking.id)/confirm", token: a.token).decode(Picking.self)
            #expect(confirmed.moveIds[0].state == .waiting && confirmed.state == .waiting)
            let chainedPick = try await client.send(.get, "/v1/pickings/\(pick.id)", token: a.token).decode(Picking.self)
            #expect(chainedPick.moveIds[0].moveDestIds == [packPicking.moveIds[0].id])

            let foreign = try await client.send(.post, "/v1/pickings", token: a.token, json: #"""
                {"picking_type_id":\#(wh.packTypeId),"move_ids":[{"product_id":\#(product.id),"product_uom_qty":1,"move_orig_ids":[\#(foreignPick.moveIds[0].id)]}]}
                """#)
            let field = try foreign.json()["field"] as? String
            #expect(foreign.status == .unprocessableContent && field == "move_ids[0].move_orig_ids", "\(foreign.text)")
            let reserved = try await client.send(.post, "/v1/moves/\(foreignPick.moveIds[0].id)/reserve", token: a.token)
            #expect(reserved.status == .notFound)
        }
    }
}
