import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Transfers: named from their operation type's sequence, locations from its defaults, state from the moves.
@Suite struct PickingTests {
    struct Fixture {
        let company: TestCompany
        let warehouse: Warehouse
        let widget: Product
        let gadget: Product
    }

    func fixture(_ client: any TestClientProtocol, environment: TestEnvironment) async throws -> Fixture {
        let company = try await environment.makeCompany()
        let warehouse = try await client.send(.post, "/v1/warehouses", token: company.token,
                                              json: #"{"name":"Main","code":"WH","delivery_steps":"pick_pack_ship"}"#).decode(Warehouse.self)
        let widget = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"Widget"}"#).decode(Product.self)
        let gadget = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"Gadget","type":"consu"}"#)
            .decode(Product.self)
        return Fixture(company: company, warehouse: warehouse, widget: widget, gadget: gadget)
    }

    @Test func aTransferIsNamedFromItsTypeAndTakesItsDefaultLocations() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let body = #"{"picking_type_id":\#(f.warehouse.pickTypeId),"origin":"SO042","move_ids":[{"product_id":\#(f.widget.id),"product_uom_qty":3},{"product_id":\#(f.gadget.id),"product_uom_qty":1.5}]}"#
            let first = try await client.send(.post, "/v1/pickings", token: f.company.token, json: body)
            #expect(first.status == .created, "\(first.text)")
            let pick = try first.decode(Picking.self)
            let second = try await client.send(.post, "/v1/pickings", token: f.company.token, json: body).decode(Picking.self)
            #expect(pick.name == "WH/PICK/00001" && second.name == "WH/PICK/00002")
            #expect(pick.locationId == f.warehouse.lotStockId && pick.locationDestId == f.warehouse.whPackStockLocId)
            #expect(pick.state == .draft && pick.origin == "SO042")
            #expect(pick.moveIds.map(\.productId) == [f.widget.id, f.gadget.id])
            #expect(pick.moveIds.map(\.productUomQty) == [3, 1.5])
            #expect(pick.moveIds.allSatisfy { $0.state == .draft && $0.locationId == pick.locationId && $0.pickingId == pick.id })

            let confirmed = try await client.send(.post, "/v1/pickings/\(pick.id)/confirm", token: f.company.token).decode(Picking.self)
            #expect(confirmed.state == .confirmed && confirmed.moveIds.allSatisfy { $0.state == .confirmed })
            let again = try await client.send(.post, "/v1/pickings/\(pick.id)/confirm", token: f.company.token)
            let againState = try again.decode(Picking.self).state
            #expect(again.status == .ok && againState == .confirmed)

            let listed = try await client.send(.get, "/v1/pickings?state=confirmed", token: f.company.token).json()
            #expect((listed["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["WH/PICK/00001"])
        }
    }

    @Test func headerFieldsChangeUntilTheTransferIsDone() async throws {
        let environment = try await TestEnvironment.get()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let pick = try await client.send(.post, "/v1/pickings", token: f.company.token,
                                             json: #"{"picking_type_id":\#(f.warehouse.pickTypeId),"origin":"SO1","move_ids":[{"product_id":\#(f.gadget.id),"product_uom_qty":1}]}"#)
                .decode(Picking.self)
            let changed = try await client.send(.patch, "/v1/pickings/\(pick.id)", token: f.company.token,
                                                json: #"{"scheduled_date":"2030-01-02T03:04:05Z","origin":null,"partner_ref":"PO-9"}"#)
            #expect(changed.status == .ok, "\(changed.text)")
            let after = try changed.decode(Picking.self)
            #expect(after.origin == nil && after.partnerRef == "PO-9")
            #expect(after.scheduledDate == Date(timeIntervalSince1970: 1_893_553_445))
            #expect(after.moveIds.allSatisfy { $0.date == after.scheduledDate }, "open moves follow the scheduled date")
            let foreign = try await client.send(.patch, "/v1/pickings/\(pick.id)", token: b.token, json: #"{"partner_ref":"X"}"#)
            #expect(foreign.status == .notFound)
            _ = try await client.send(.post, "/v1/pickings/\(pick.id)/cancel", token: f.company.token)
            let late = try await client.send(.patch, "/v1/pickings/\(pick.id)", token: f.company.token, json: #"{"partner_ref":"Y"}"#)
            #expect(late.status == .conflict)
        }
    }

    @Test func makeToOrderMovesWait() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let body = #"{"picking_type_id":\#(f.warehouse.packTypeId),"move_ids":[{"product_id":\#(f.widget.id),"product_uom_qty":2,"procure_method":"make_to_order"}]}"#
            let pack = try await client.send(.post, "/v1/pickings", token: f.company.token, json: body).decode(Picking.self)
            let confirmed = try await client.send(.post, "/v1/pickings/\(pack.id)/confirm", token: f.company.token).decode(Picking.self)
            #expect(confirmed.moveIds.first?.state == .waiting && confirmed.state == .waiting)
        }
    }

    @Test func badTransfersNameTheFieldAndWriteNothing() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let service = try await client.send(.post, "/v1/products", token: f.company.token, json: #"{"name":"Install","type":"service"}"#)
                .decode(Product.self)
            let type = f.warehouse.pickTypeId, product = f.widget.id
            let cases: [(String, String)] = [
                (#"{"picking_type_id":\#(type),"move_ids":[]}"#, "move_ids"),
                (#"{"picking_type_id":999999999,"move_ids":[{"product_id":\#(product),"product_uom_qty":1}]}"#, "picking_type_id"),
                (#"{"picking_type_id":\#(type),"move_ids":[{"product_id":\#(product),"product_uom_qty":0}]}"#, "move_ids[0].product_uom_qty"),
                (#"{"picking_type_id":\#(type),"move_ids":[{"product_id":\#(product),"product_uom_qty":-1}]}"#, "move_ids[0].product_uom_qty"),
                (#"{"picking_type_id":\#(type),"move_ids":[{"product_id":\#(product),"product_uom_qty":"two"}]}"#, "move_ids[0].product_uom_qty"),
                (#"{"picking_type_id":\#(type),"move_ids":[{"product_id":\#(product),"product_uom_qty":1},{"product_id":\#(service.id),"product_uom_qty":1}]}"#, "move_ids[1].product_id"),
                (#"{"picking_type_id":\#(type),"move_ids":[{"product_id":999999999,"product_uom_qty":1}]}"#, "move_ids[0].product_id"),
                (#"{"picking_type_id":\#(type),"location_id":999999999,"move_ids":[{"product_id":\#(product),"product_uom_qty":1}]}"#, "location_id"),
                (#"{"picking_type_id":\#(type),"move_ids":[{"product_id":\#(product),"product_uom_qty":1,"procure_method":"magic"}]}"#, "move_ids[0].procure_method"),
            ]
            for (body, field) in cases {
                let response = try await client.send(.post, "/v1/pickings", token: f.company.token, json: body)
                #expect(response.status == .unprocessableContent, "\(body) → \(response.text)")
                #expect(try response.json()["field"] as? String == field, "\(body) → \(response.text)")
            }
            let pickings = try await client.send(.get, "/v1/pickings", token: f.company.token).json()
            #expect((pickings["items"] as? [Any])?.isEmpty == true, "nothing was written")
            let next = try await client.send(.post, "/v1/pickings", token: f.company.token,
                                             json: #"{"picking_type_id":\#(type),"move_ids":[{"product_id":\#(product),"product_uom_qty":1}]}"#)
            #expect(try next.decode(Picking.self).name == "WH/PICK/00001", "refused requests did not use up numbers")
        }
    }

    @Test func companyBCannotSeeConfirmOrUseCompanyATransfersAndTypes() async throws {
        let environment = try await TestEnvironment.get()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment)
            let pick = try await client.send(.post, "/v1/pickings", token: f.company.token,
                                             json: #"{"picking_type_id":\#(f.warehouse.pickTypeId),"move_ids":[{"product_id":\#(f.widget.id),"product_uom_qty":1}]}"#)
                .decode(Picking.self)
            let read = try await client.send(.get, "/v1/pickings/\(pick.id)", token: b.token)
            let confirm = try await client.send(.post, "/v1/pickings/\(pick.id)/confirm", token: b.token)
            let borrowType = try await client.send(.post, "/v1/pickings", token: b.token,
                                                   json: #"{"picking_type_id":\#(f.warehouse.pickTypeId),"move_ids":[{"product_id":\#(f.widget.id),"product_uom_qty":1}]}"#)
            #expect(read.status == .notFound && confirm.status == .notFound)
            #expect(borrowType.status == .unprocessableContent)
            let unchanged = try await client.send(.get, "/v1/pickings/\(pick.id)", token: f.company.token).decode(Picking.self)
            #expect(unchanged.state == .draft)
        }
    }
}
