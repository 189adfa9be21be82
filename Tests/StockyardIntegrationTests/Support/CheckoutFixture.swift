import Foundation
import HTTPTypes
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Fixture F-CS of ../shared/acceptance/checkout_sync.md, built through the API: WH with a three-step delivery,
/// Shelf 1 under Stock, Packing 1 and 2 under the Packing Zone, the types Pick (WH's), Pick Handover, Pack
/// (WH's) and Pack Post, products P1 and P2 with 10 each in Shelf 1, and the transfers
/// PICK = {pick1, pick2, pick4}, HO = {pick3}, PACK = {pack1, pack2, pack3}, PPO = {pack4}, all confirmed.
struct CheckoutFixture {
    let client: any TestClientProtocol
    let token: String
    let company: TestCompany
    let wh: Warehouse
    let shelf1: Int64, pack1Location: Int64, pack2Location: Int64
    let packType: Int64, ppoType: Int64
    let p1: Int64, p2: Int64
    let pick: Int64, ho: Int64, pack: Int64, ppo: Int64
    let pick1: Int64, pick2: Int64, pick3: Int64, pick4: Int64
    let pack1: Int64, pack2: Int64, pack3: Int64, pack4: Int64

    var stock: Int64 { wh.lotStockId }
    var packZone: Int64 { wh.whPackStockLocId }

    static func make(_ client: any TestClientProtocol, flags: Bool) async throws -> CheckoutFixture {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let token = company.token
        func post<T: Decodable>(_ path: String, _ json: String, as type: T.Type) async throws -> T {
            let response = try await client.send(.post, path, token: token, json: json)
            guard response.status == .created || response.status == .ok else { throw TestFailure("POST \(path): \(response.text)") }
            return try response.decode(T.self)
        }
        let wh = try await post("/v1/warehouses", #"{"name":"WH","code":"WH","delivery_steps":"pick_pack_ship"}"#, as: Warehouse.self)
        let shelf1 = try await post("/v1/locations", #"{"name":"Shelf 1","location_id":\#(wh.lotStockId)}"#, as: Location.self).id
        let pack1 = try await post("/v1/locations", #"{"name":"Packing 1","location_id":\#(wh.whPackStockLocId)}"#, as: Location.self).id
        let pack2 = try await post("/v1/locations", #"{"name":"Packing 2","location_id":\#(wh.whPackStockLocId)}"#, as: Location.self).id
        let ho = try await post("/v1/picking-types", #"""
            {"name":"Pick Handover","code":"internal","sequence_code":"HO","warehouse_id":\#(wh.id),
             "default_location_src_id":\#(wh.lotStockId),"default_location_dest_id":\#(wh.whPackStockLocId)}
            """#, as: PickingType.self).id
        let ppo = try await post("/v1/picking-types", #"""
            {"name":"Pack Post","code":"internal","sequence_code":"PPO","warehouse_id":\#(wh.id),"checkout_sync":\#(flags),
             "default_location_src_id":\#(wh.whPackStockLocId),"default_location_dest_id":\#(wh.whOutputStockLocId)}
            """#, as: PickingType.self).id
        let patched = try await client.send(.patch, "/v1/picking-types/\(wh.packTypeId)", token: token, json: #"{"checkout_sync":\#(flags)}"#)
        guard patched.status == .ok else { throw TestFailure("PATCH pack type: \(patched.text)") }
        let p1 = try await post("/v1/products", #"{"name":"P1","default_code":"P1"}"#, as: Product.self).id
        let p2 = try await post("/v1/products", #"{"name":"P2","default_code":"P2"}"#, as: Product.self).id
        for product in [p1, p2] {
            _ = try await post("/v1/inventory-adjustments",
                               #"{"product_id":\#(product),"location_id":\#(shelf1),"inventory_quantity":10}"#, as: AdjustmentResult.self)
        }
        func transfer(type: Int64, _ moves: [(product: Int64, origin: Int64?)]) async throws -> Picking {
            let lines = moves.map { move in
                #"{"product_id":\#(move.product),"product_uom_qty":2"# + (move.origin.map { #","move_orig_ids":[\#($0)]"# } ?? "") + "}"
            }
            let created = try await post("/v1/pickings", #"{"picking_type_id":\#(type),"move_ids":[\#(lines.joined(separator: ","))]}"#,
                                         as: Picking.self)
            return try await post("/v1/pickings/\(created.id)/confirm", "{}", as: Picking.self)
        }
        let pick = try await transfer(type: wh.pickTypeId, [(p1, nil), (p2, nil), (p2, nil)])
        let handover = try await transfer(type: ho, [(p1, nil)])
        let (pick1, pick2, pick4, pick3) = (pick.moveIds[0].id, pick.moveIds[1].id, pick.moveIds[2].id, handover.moveIds[0].id)
        let packing = try await transfer(type: wh.packTypeId, [(p1, pick1), (p2, pick2), (p1, pick3)])
        let post_ = try await transfer(type: ppo, [(p2, pick4)])
        return CheckoutFixture(
            client: client, token: token, company: company, wh: wh, shelf1: shelf1, pack1Location: pack1, pack2Location: pack2,
            packType: wh.packTypeId, ppoType: ppo, p1: p1, p2: p2, pick: pick.id, ho: handover.id, pack: packing.id, ppo: post_.id,
            pick1: pick1, pick2: pick2, pick3: pick3, pick4: pick4,
            pack1: packing.moveIds[0].id, pack2: packing.moveIds[1].id, pack3: packing.moveIds[2].id, pack4: post_.moveIds[0].id)
    }

    // MARK: - Reading and acting through the API

    func send(_ method: HTTPRequest.Method, _ path: String, _ json: String? = nil) async throws -> APIResponse {
        try await client.send(method, path, token: token, json: json)
    }

    func picking(_ id: Int64) async throws -> Picking { try await send(.get, "/v1/pickings/\(id)").decode(Picking.self) }

    /// Every move of the four transfers, by id.
    func moves() async throws -> [Int64: StockMove] {
        var moves: [Int64: StockMove] = [:]
        for id in [pick, ho, pack, ppo] { for move in try await picking(id).moveIds { moves[move.id] = move } }
        return moves
    }

    func lines(of move: Int64) async throws -> [MoveLine] {
        try await send(.get, "/v1/move-lines?move_id=\(move)").decode(Page<MoveLine>.self).items
    }

    func reserveAll() async throws {
        for id in [pick, ho] { _ = try await send(.post, "/v1/pickings/\(id)/reserve") }
    }

    func plan(_ picking: Int64, done: [Int64] = []) async throws -> CheckoutSyncView {
        let query = done.isEmpty ? "" : "?done=" + done.map(String.init).joined(separator: ",")
        let response = try await send(.get, "/v1/pickings/\(picking)/checkout-sync\(query)")
        guard response.status == .ok else { throw TestFailure("plan: \(response.text)") }
        return try response.decode(CheckoutSyncView.self)
    }

    func sync(_ picking: Int64, group: Int64, to location: Int64, done: [Int64] = []) async throws -> APIResponse {
        try await send(.post, "/v1/pickings/\(picking)/checkout-sync",
                       #"{"dest_picking_id":\#(group),"location_id":\#(location),"done":[\#(done.map(String.init).joined(separator: ","))]}"#)
    }

    /// The spec's at(moves, L): each move's destination is L, every line's destination is L, and every destination
    /// move's source is L.
    func expectAt(_ ids: [Int64], _ location: Int64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let all = try await moves()
        for id in ids {
            let move = try #require(all[id], sourceLocation: sourceLocation)
            #expect(move.locationDestId == location, "move \(id) goes to \(move.locationDestId), not \(location)", sourceLocation: sourceLocation)
            for line in try await lines(of: id) {
                #expect(line.locationDestId == location, "line \(line.id) of move \(id)", sourceLocation: sourceLocation)
            }
            for dest in move.moveDestIds {
                #expect(all[dest]?.locationId == location, "destination move \(dest) of move \(id)", sourceLocation: sourceLocation)
            }
        }
    }

    /// What a sync must never change: states, line quantities, quants.
    func snapshot() async throws -> [String] {
        let all = try await moves()
        var facts = all.values.sorted { $0.id < $1.id }.map { "move \($0.id) \($0.state.rawValue) \($0.quantity)" }
        for id in all.keys.sorted() { facts += try await lines(of: id).map { "line \($0.id) \($0.quantity) \($0.state.rawValue)" } }
        for product in [p1, p2] {
            facts += try await send(.get, "/v1/quants?product_id=\(product)").decode(Page<Quant>.self).items
                .map { "quant \($0.productId)@\($0.locationId) \($0.quantity) \($0.reservedQuantity)" }
        }
        return facts
    }
}
