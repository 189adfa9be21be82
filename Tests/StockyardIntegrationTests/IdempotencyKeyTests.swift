import Foundation
import HTTPTypes
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// `Idempotency-Key` on writes: a retry replays the first response and changes nothing; a failed first attempt
/// leaves the key free; concurrent duplicates run once; keys are per company.
@Suite struct IdempotencyKeyTests {
    struct Fixture {
        let company: TestCompany
        let warehouse: Warehouse
        let product: Product
    }

    func fixture(_ client: any TestClientProtocol, environment: TestEnvironment, onHand: Decimal) async throws -> Fixture {
        let company = try await environment.makeCompany()
        let warehouse = try await client.send(.post, "/v1/warehouses", token: company.token,
                                              json: #"{"name":"Main","code":"WH"}"#).decode(Warehouse.self)
        let product = try await client.send(.post, "/v1/products", token: company.token, json: #"{"name":"Widget"}"#).decode(Product.self)
        _ = try await client.send(.post, "/v1/inventory-adjustments", token: company.token, json: #"""
            {"product_id":\#(product.id),"location_id":\#(warehouse.lotStockId),"inventory_quantity":\#(onHand)}
            """#)
        return Fixture(company: company, warehouse: warehouse, product: product)
    }

    func key(_ value: String) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: value] }

    func deliveryJSON(_ f: Fixture, quantity: Decimal, origin: String) -> String {
        #"{"picking_type_id":\#(f.warehouse.outTypeId),"origin":"\#(origin)","move_ids":[{"product_id":\#(f.product.id),"product_uom_qty":\#(quantity)}]}"#
    }

    func count(origin: String, _ f: Fixture, _ client: any TestClientProtocol) async throws -> Int {
        try await client.send(.get, "/v1/pickings?origin=\(origin)", token: f.company.token).decode(Page<Picking>.self).items.count
    }

    @Test func aRetriedCreateReplaysTheFirstResponse() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onHand: 5)
            let body = deliveryJSON(f, quantity: 2, origin: "SO-IDEM-1")
            let first = try await client.send(.post, "/v1/pickings", token: f.company.token, json: body, headers: key("create-1"))
            let retry = try await client.send(.post, "/v1/pickings", token: f.company.token, json: body, headers: key("create-1"))
            #expect(first.status == .created && retry.status == .created)
            #expect(retry.body == first.body, "byte for byte the first response")
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try await count(origin: "SO-IDEM-1", f, client) == 1)

            let another = try await client.send(.post, "/v1/pickings", token: f.company.token, json: body, headers: key("create-2"))
            #expect(another.status == .created && another.body != first.body, "a new key is a new request")
            #expect(try await count(origin: "SO-IDEM-1", f, client) == 2)
        }
    }

    @Test func aKeyReusedForAnotherRequestIsRefused() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onHand: 5)
            _ = try await client.send(.post, "/v1/pickings", token: f.company.token, json: deliveryJSON(f, quantity: 1, origin: "SO-A"),
                                      headers: key("k"))
            let changedBody = try await client.send(.post, "/v1/pickings", token: f.company.token,
                                                    json: deliveryJSON(f, quantity: 3, origin: "SO-A"), headers: key("k"))
            #expect(changedBody.status == .unprocessableContent && changedBody.isProblem)
            #expect(try changedBody.json()["field"] as? String == "Idempotency-Key", "\(changedBody.text)")
            let otherRoute = try await client.send(.post, "/v1/products", token: f.company.token, json: #"{"name":"X"}"#, headers: key("k"))
            #expect(otherRoute.status == .unprocessableContent)
            #expect(try await count(origin: "SO-A", f, client) == 1)

            for bad in ["", "with space", String(repeating: "x", count: 256)] {
                let response = try await client.send(.post, "/v1/products", token: f.company.token, json: #"{"name":"Y"}"#, headers: key(bad))
                #expect(response.status == .unprocessableContent, "'\(bad)'")
                #expect(try response.json()["field"] as? String == "Idempotency-Key")
            }
        }
    }

    @Test func aFailedAttemptLeavesTheKeyFreeForItsRetry() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onHand: 0)
            let picking = try await client.send(.post, "/v1/pickings", token: f.company.token, json: deliveryJSON(f, quantity: 2, origin: "SO-F"))
                .decode(Picking.self)
            let tooEarly = try await client.send(.post, "/v1/pickings/\(picking.id)/validate", token: f.company.token, headers: key("validate-1"))
            #expect(tooEarly.status == .conflict, "nothing on hand: \(tooEarly.text)")
            #expect(try await client.send(.get, "/v1/pickings/\(picking.id)", token: f.company.token).decode(Picking.self).state == .draft,
                    "the failure rolled back everything, the key included")

            _ = try await client.send(.post, "/v1/inventory-adjustments", token: f.company.token, json: #"""
                {"product_id":\#(f.product.id),"location_id":\#(f.warehouse.lotStockId),"inventory_quantity":2}
                """#)
            let retried = try await client.send(.post, "/v1/pickings/\(picking.id)/validate", token: f.company.token, headers: key("validate-1"))
            #expect(retried.status == .ok, "\(retried.text)")
            #expect(try retried.decode(PickingRepository.ValidationResult.self).picking.state == .done)
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func concurrentDuplicatesRunOnce() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            let f = try await fixture(client, environment: environment, onHand: 10)
            let picking = try await client.send(.post, "/v1/pickings", token: f.company.token, json: deliveryJSON(f, quantity: 3, origin: "SO-C"))
                .decode(Picking.self)
            _ = try await client.send(.post, "/v1/pickings/\(picking.id)/reserve", token: f.company.token)
            let headers = key("validate-once")
            let responses = try await withThrowingTaskGroup(of: APIResponse.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await client.send(.post, "/v1/pickings/\(picking.id)/validate", token: f.company.token, headers: headers)
                    }
                }
                var responses: [APIResponse] = []
                for try await response in group { responses.append(response) }
                return responses
            }
            #expect(responses.allSatisfy { $0.status == .ok }, "\(responses.map(\.status))")
            #expect(Set(responses.map(\.body)).count == 1, "every duplicate got the one response")
            #expect(responses.filter { $0.headers[HTTPField.Name("Idempotent-Replayed")!] == "true" }.count == 7)
            let quants = try await client.send(.get, "/v1/quants?product_id=\(f.product.id)", token: f.company.token).decode(Page<Quant>.self)
            #expect(quants.items.first { $0.locationId == f.warehouse.lotStockId }?.quantity == 7, "shipped once")
            try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
        }
    }

    @Test func keysBelongToTheirCompany() async throws {
        let environment = try await TestEnvironment.get()
        let (a, b) = try await withAPI { client in
            let a = try await fixture(client, environment: environment, onHand: 1)
            let b = try await fixture(client, environment: environment, onHand: 1)
            let fromA = try await client.send(.post, "/v1/products", token: a.company.token, json: #"{"name":"Same"}"#, headers: key("shared"))
            let fromB = try await client.send(.post, "/v1/products", token: b.company.token, json: #"{"name":"Same"}"#, headers: key("shared"))
            #expect(fromA.status == .created && fromB.status == .created)
            #expect(fromB.headers[HTTPField.Name("Idempotent-Replayed")!] == nil, "B's request ran as B's, not A's replayed")
            let productA = try fromA.decode(Product.self)
            let productB = try fromB.decode(Product.self)
            #expect(productA.id != productB.id)
            return (a.company, b.company)
        }

        // As the app role in B's scope, A's keys and stored responses are invisible and untouchable.
        let visible = try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
            try await connection.rows("SELECT count(*)::int FROM stockyard.idempotency_keys WHERE company_id = \(a.id)")
                .collect()[0].decode(Int.self)
        }
        let deleted = try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
            try await connection.rows("DELETE FROM stockyard.idempotency_keys WHERE company_id = \(a.id) RETURNING 1").collect().count
        }
        #expect(visible == 0 && deleted == 0)
        await expectSQLState("42501") {
            try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
                _ = try await connection.rows("""
                    INSERT INTO stockyard.idempotency_keys (company_id, key, request_fingerprint, response_status, response_body)
                    VALUES (\(a.id), 'planted', decode(repeat('00', 32), 'hex'), 200, '\\x7b7d'::bytea)
                    """)
            }
        }
    }
}
