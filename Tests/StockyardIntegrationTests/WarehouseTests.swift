import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Creating a warehouse creates what Odoo creates: its locations and its operation types for the chosen steps.
@Suite struct WarehouseTests {
    @Test func aPickPackShipWarehouseHasItsLocationsAndRoutesDefaults() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        try await withAPI { client in
            let created = try await client.send(.post, "/v1/warehouses", token: a.token,
                                                json: #"{"name":"Main","code":"WH","reception_steps":"two_steps","delivery_steps":"pick_pack_ship"}"#)
            #expect(created.status == .created, "\(created.text)")
            let wh = try created.decode(Warehouse.self)
            func location(_ id: Int64) async throws -> Location {
                try await client.send(.get, "/v1/locations/\(id)", token: a.token).decode(Location.self)
            }
            func type(_ id: Int64) async throws -> PickingType {
                try await client.send(.get, "/v1/picking-types/\(id)", token: a.token).decode(PickingType.self)
            }
            #expect(try await location(wh.viewLocationId).completeName == "WH")
            #expect(try await location(wh.lotStockId).completeName == "WH/Stock")
            #expect(try await location(wh.whPackStockLocId).completeName == "WH/Packing Zone")
            #expect(try await location(wh.whOutputStockLocId).active)
            #expect(try await location(wh.whInputStockLocId).active, "two-step reception uses Input")
            #expect(try await !location(wh.whQcStockLocId).active, "quality control only in three steps")

            let pick = try await type(wh.pickTypeId), pack = try await type(wh.packTypeId)
            let out = try await type(wh.outTypeId), receipt = try await type(wh.inTypeId)
            #expect(pick.code == "internal" && pick.sequenceCode == "PICK" && pick.active)
            #expect(pick.defaultLocationSrcId == wh.lotStockId && pick.defaultLocationDestId == wh.whPackStockLocId)
            #expect(pack.defaultLocationSrcId == wh.whPackStockLocId && pack.defaultLocationDestId == wh.whOutputStockLocId && pack.active)
            #expect(out.code == "outgoing" && out.defaultLocationSrcId == wh.whOutputStockLocId)
            #expect(receipt.code == "incoming" && receipt.defaultLocationDestId == wh.whInputStockLocId)
            #expect(pick.createBackorder == .ask && !pick.checkoutSync && pick.warehouseId == wh.id)

            let types = try await client.send(.get, "/v1/picking-types?warehouse_id=\(wh.id)", token: a.token).json()
            #expect((types["items"] as? [Any])?.count == 7)
        }
    }

    @Test func aShipOnlyWarehouseShipsFromStockAndKeepsUnusedStepsInactive() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        try await withAPI { client in
            let wh = try await client.send(.post, "/v1/warehouses", token: a.token, json: #"{"name":"Small","code":"SM"}"#)
                .decode(Warehouse.self)
            #expect(wh.receptionSteps == .oneStep && wh.deliverySteps == .shipOnly)
            let out = try await client.send(.get, "/v1/picking-types/\(wh.outTypeId)", token: a.token).decode(PickingType.self)
            let pick = try await client.send(.get, "/v1/picking-types/\(wh.pickTypeId)", token: a.token).decode(PickingType.self)
            let receipt = try await client.send(.get, "/v1/picking-types/\(wh.inTypeId)", token: a.token).decode(PickingType.self)
            #expect(out.defaultLocationSrcId == wh.lotStockId && receipt.defaultLocationDestId == wh.lotStockId)
            #expect(!pick.active)
        }
    }

    @Test func operationTypesCanBeTunedAndBadInputIsRefused() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        try await withAPI { client in
            let wh = try await client.send(.post, "/v1/warehouses", token: a.token, json: #"{"name":"Main","code":"WH","delivery_steps":"pick_ship"}"#)
                .decode(Warehouse.self)
            let patched = try await client.send(.patch, "/v1/picking-types/\(wh.pickTypeId)", token: a.token,
                                                json: #"{"create_backorder":"never","checkout_sync":true}"#).decode(PickingType.self)
            #expect(patched.createBackorder == .never && patched.checkoutSync)
            let duplicate = try await client.send(.post, "/v1/warehouses", token: a.token, json: #"{"name":"Other","code":"WH"}"#)
            #expect(duplicate.status == .conflict)
            for (body, field) in [(#"{"name":"X","code":"TOOLONG"}"#, "code"), (#"{"name":"X","code":"A","delivery_steps":"teleport"}"#, "delivery_steps"),
                                  (#"{"code":"B"}"#, "name")] {
                let response = try await client.send(.post, "/v1/warehouses", token: a.token, json: body)
                #expect(response.status == .unprocessableContent, "\(body) → \(response.text)")
                #expect(try response.json()["field"] as? String == field, "\(body) → \(response.text)")
            }
            let badPatch = try await client.send(.patch, "/v1/picking-types/\(wh.pickTypeId)", token: a.token, json: #"{"create_backorder":"maybe"}"#)
            #expect(badPatch.status == .unprocessableContent)
        }
    }

    @Test func companyBCannotSeeOrTuneCompanyAWarehouses() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let wh = try await client.send(.post, "/v1/warehouses", token: a.token, json: #"{"name":"Main","code":"WH"}"#).decode(Warehouse.self)
            let read = try await client.send(.get, "/v1/warehouses/\(wh.id)", token: b.token)
            let type = try await client.send(.get, "/v1/picking-types/\(wh.outTypeId)", token: b.token)
            let tune = try await client.send(.patch, "/v1/picking-types/\(wh.outTypeId)", token: b.token, json: #"{"active":false}"#)
            let list = try await client.send(.get, "/v1/warehouses", token: b.token).json()
            let sameCode = try await client.send(.post, "/v1/warehouses", token: b.token, json: #"{"name":"Main","code":"WH"}"#)
            #expect(read.status == .notFound && type.status == .notFound && tune.status == .notFound)
            #expect((list["items"] as? [Any])?.isEmpty == true)
            #expect(sameCode.status == .created, "codes are unique per company only")
            let unchanged = try await client.send(.get, "/v1/picking-types/\(wh.outTypeId)", token: a.token).decode(PickingType.self)
            #expect(unchanged.active)
        }
    }
}
