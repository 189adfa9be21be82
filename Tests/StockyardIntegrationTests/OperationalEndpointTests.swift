import Foundation
import StockyardAPI
import StockyardCore
import Testing

@Suite struct OperationalEndpointTests {
    @Test func healthIsAlwaysOK() async throws {
        let response = try await withAPI { try await $0.send(.get, "/health") }
        #expect(response.status == .ok)
        #expect(try response.json()["status"] as? String == "ok")
    }

    @Test func readyWhenTheDatabaseHasEveryMigration() async throws {
        let response = try await withAPI { try await $0.send(.get, "/ready") }
        #expect(response.status == .ok, "\(response.text)")
        #expect(try response.json()["status"] as? String == "ready")
    }

    @Test func notReadyWhenAMigrationIsPending() async throws {
        let environment = try await TestEnvironment.get()
        let future = MigrationFile(version: 9998, name: "from_the_future", sql: "SELECT 1")
        let response = try await withAPI(environment.apiDependencies(expectedMigrations: environment.migrations + [future])) {
            try await $0.send(.get, "/ready")
        }
        #expect(response.status == .serviceUnavailable)
        let body = try response.json()
        #expect(body["status"] as? String == "migrations_pending")
        #expect(body["pending_migrations"] as? [String] == ["9998_from_the_future"])
    }

    @Test func notReadyWhenAnAppliedMigrationWasEdited() async throws {
        let environment = try await TestEnvironment.get()
        var edited = environment.migrations
        edited[0] = MigrationFile(version: edited[0].version, name: edited[0].name, sql: edited[0].sql + "\n-- edited")
        let response = try await withAPI(environment.apiDependencies(expectedMigrations: edited)) { try await $0.send(.get, "/ready") }
        #expect(response.status == .serviceUnavailable)
    }

    @Test func metricsCountRequestsByRouteTemplateAndStatus() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let text = try await withAPI { client in
            _ = try await client.send(.get, "/v1/me", token: a.token)
            _ = try await client.send(.get, "/v1/tokens/\(a.tokenID)", token: a.token)
            _ = try await client.send(.get, "/v1/me")
            return try await client.send(.get, "/metrics").text
        }
        #expect(text.contains(#"stockyard_http_requests_total{method="GET",route="/v1/me",status="200"} 1"#))
        #expect(text.contains(#"stockyard_http_requests_total{method="GET",route="/v1/me",status="401"} 1"#))
        #expect(text.contains(#"route="/v1/tokens/{id}""#), "ids must not appear as labels: \(text)")
        #expect(text.contains("stockyard_http_request_duration_seconds_bucket"))
        #expect(text.contains("stockyard_db_pool_connections_in_use"))
    }

    @Test func requestIDsAreEchoedOrGenerated() async throws {
        let given = try await withAPI { try await $0.send(.get, "/health", headers: [RequestIDHeader.name: "abc-123"]) }
        #expect(given.headers[RequestIDHeader.name] == "abc-123")
        let generated = try await withAPI { try await $0.send(.get, "/health", headers: [RequestIDHeader.name: "bad id with spaces"]) }
        let id = try #require(generated.headers[RequestIDHeader.name])
        #expect(id != "bad id with spaces" && !id.isEmpty)
        let problem = try await withAPI { try await $0.send(.get, "/v1/me", headers: [RequestIDHeader.name: "trace-me"]) }
        #expect(try problem.json()["request_id"] as? String == "trace-me")
    }
}
