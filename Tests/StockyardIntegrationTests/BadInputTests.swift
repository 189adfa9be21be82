import Foundation
import StockyardCore
import StockyardStore
import Testing

/// Bad input is a clear 4xx problem that names the field, and nothing is written.
@Suite struct BadInputTests {
    @Test(arguments: [
        (#"{"scopes": ["#, 400, nil as String?),
        ("not json at all", 400, nil),
        ("", 400, nil),
        (#"{"scopes": "admin"}"#, 422, "scopes"),
        (#"{"scopes": ["admin"], "shop_id": "seven"}"#, 422, "shop_id"),
        (#"{"scopes": ["admin"], "expires_at": "tomorrow"}"#, 422, "expires_at"),
        (#"{"scopes": ["admin"], "expires_at": "2001-01-01T00:00:00Z"}"#, 422, "expires_at"),
        (#"{"name": "no scopes"}"#, 422, "scopes"),
        (#"{"scopes": ["stock:read", "warp:drive"]}"#, 422, "scopes"),
        (#"{"scopes": []}"#, 422, "scopes"),
        (#"[{"scopes": ["admin"]}]"#, 422, nil),
    ])
    func badTokenRequestsAreRefusedAndWriteNothing(_ body: String, _ status: Int, _ field: String?) async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let response = try await withAPI { try await $0.send(.post, "/v1/tokens", token: a.token, json: body) }
        #expect(response.status.code == status, "\(body) → \(response.text)")
        #expect(response.isProblem)
        let problem = try response.json()
        #expect(problem["field"] as? String == field, "\(body) → \(response.text)")
        #expect((problem["detail"] as? String)?.isEmpty == false)
        #expect(try await tokenCount(company: a.id, environment: environment) == 1)
    }

    @Test func anOversizeBodyIs413AndWritesNothing() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let padding = String(repeating: "x", count: 4096)
        let response = try await withAPI(environment.apiDependencies(maxBodyBytes: 1024)) {
            try await $0.send(.post, "/v1/tokens", token: a.token, json: #"{"scopes":["admin"],"name":"\#(padding)"}"#)
        }
        #expect(response.status == .contentTooLarge)
        #expect(response.isProblem)
        #expect(try response.json()["type"] as? String == "https://stockyard.dev/problems/body-too-large")
        #expect(try await tokenCount(company: a.id, environment: environment) == 1)
    }

    @Test func theDefaultBodyLimitIsOneMebibyte() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let json = #"{"scopes":["admin"]}"#
        let over = String(repeating: " ", count: (1 << 20) - json.utf8.count + 1) + json
        let under = String(repeating: " ", count: (1 << 20) - json.utf8.count) + json
        try await withAPI { client in
            let refused = try await client.send(.post, "/v1/tokens", token: a.token, json: over)
            let accepted = try await client.send(.post, "/v1/tokens", token: a.token, json: under)
            #expect(refused.status == .contentTooLarge)
            #expect(accepted.status == .created)
        }
    }

    @Test func aLimitAboveTheFrameworkDefaultIsHonoured() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let json = String(repeating: " ", count: 3 << 20) + #"{"scopes":["admin"]}"#
        let response = try await withAPI(environment.apiDependencies(maxBodyBytes: 4 << 20)) {
            try await $0.send(.post, "/v1/tokens", token: a.token, json: json)
        }
        #expect(response.status == .created, "\(response.text)")
    }

    @Test func unknownRoutesAndIdsAreProblemJSON() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        try await withAPI { client in
            let route = try await client.send(.get, "/v1/nothing-here", token: a.token)
            #expect(route.status == .notFound)
            #expect(route.isProblem)
            let id = try await client.send(.get, "/v1/tokens/not-a-number", token: a.token)
            #expect(id.status == .notFound)
            #expect(id.isProblem)
        }
    }

    private func tokenCount(company: Int64, environment: TestEnvironment) async throws -> Int {
        try await environment.app.withCompany(company, logger: environment.logger) { connection in
            try await connection.rows("SELECT count(*)::int FROM stockyard.api_tokens").collect().first!.decode(Int.self)
        }
    }
}
