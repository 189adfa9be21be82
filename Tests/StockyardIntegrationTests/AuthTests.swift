import Foundation
import HTTPTypes
import StockyardCore
import StockyardStore
import Testing

@Suite struct AuthTests {
    @Test func meDescribesTheTokensCompanyAndScopes() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany("Acme Me")
        let response = try await withAPI { try await $0.send(.get, "/v1/me", token: a.token) }
        #expect(response.status == .ok)
        let me = try response.json()
        #expect(me["company_id"] as? Int == Int(a.id))
        #expect((me["company"] as? [String: Any])?["name"] as? String == "Acme Me")
        #expect(me["scopes"] as? [String] == ["admin"])
        #expect(me["token_id"] as? Int == Int(a.tokenID))
    }

    @Test(arguments: [
        ("missing", HTTPFields()),
        ("not bearer", HTTPFields([HTTPField(name: .authorization, value: "Basic dXNlcjpwYXNz")])),
        ("empty bearer", HTTPFields([HTTPField(name: .authorization, value: "Bearer ")])),
        ("unknown", HTTPFields([HTTPField(name: .authorization, value: "Bearer sy_not-a-real-token")])),
    ])
    func badCredentialsAre401ProblemJSON(_ label: String, _ headers: HTTPFields) async throws {
        let response = try await withAPI { try await $0.send(.get, "/v1/me", headers: headers) }
        #expect(response.status == .unauthorized, "\(label)")
        #expect(response.isProblem, "\(label)")
        #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
        let problem = try response.json()
        #expect(problem["type"] as? String == "https://stockyard.dev/problems/unauthorized")
        #expect(problem["status"] as? Int == 401)
    }

    @Test func aRevokedTokenIs401FromThenOn() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let extra = try await environment.issueToken(company: a.id, scopes: [.stockRead])
        try await withAPI { client in
            #expect(try await client.send(.get, "/v1/me", token: extra.token).status == .ok)
            let revoked = try await client.send(.delete, "/v1/tokens/\(extra.id)", token: a.token)
            #expect(revoked.status == .ok)
            #expect(try revoked.json()["revoked_at"] is String)
            #expect(try await client.send(.get, "/v1/me", token: extra.token).status == .unauthorized)
            // Revoking again is a no-op that keeps the first revocation time.
            let again = try await client.send(.delete, "/v1/tokens/\(extra.id)", token: a.token)
            #expect(try again.json()["revoked_at"] as? String == revoked.json()["revoked_at"] as? String)
        }
    }

    @Test func anExpiredTokenIs401() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let expiring = try await environment.issueToken(company: a.id, scopes: [.admin], expiresAt: Date().addingTimeInterval(3600))
        try await withAPI { client in
            #expect(try await client.send(.get, "/v1/me", token: expiring.token).status == .ok)
            try await environment.owner.withCompany(a.id, logger: environment.logger) { connection in
                try await connection.rows("UPDATE stockyard.api_tokens SET expires_at = now() - interval '1 second' WHERE id = \(expiring.id)")
            }
            #expect(try await client.send(.get, "/v1/me", token: expiring.token).status == .unauthorized)
        }
    }

    @Test func aTokenWithoutTheScopeIs403() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let reader = try await environment.issueToken(company: a.id, scopes: [.stockRead])
        let tokenReader = try await environment.issueToken(company: a.id, scopes: [.tokensRead])
        try await withAPI { client in
            let denied = try await client.send(.get, "/v1/tokens", token: reader.token)
            #expect(denied.status == .forbidden)
            #expect(denied.isProblem)
            #expect(try denied.json()["type"] as? String == "https://stockyard.dev/problems/forbidden")
            #expect(try await client.send(.get, "/v1/tokens", token: tokenReader.token).status == .ok)
            // Read does not imply write.
            #expect(try await client.send(.post, "/v1/tokens", token: tokenReader.token, json: #"{"scopes":["tokens:read"]}"#).status == .forbidden)
        }
    }

    @Test func aTokenCannotMintAMorePowerfulToken() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let writer = try await environment.issueToken(company: a.id, scopes: [.tokensWrite])
        try await withAPI { client in
            let escalation = try await client.send(.post, "/v1/tokens", token: writer.token, json: #"{"scopes":["admin"]}"#)
            #expect(escalation.status == .forbidden)
            let allowed = try await client.send(.post, "/v1/tokens", token: writer.token, json: #"{"scopes":["tokens:read"],"name":"ci"}"#)
            #expect(allowed.status == .created)
            let issued = try allowed.json()
            let token = try #require(issued["token"] as? String)
            #expect(issued["scopes"] as? [String] == ["tokens:read"])
            #expect(try await client.send(.get, "/v1/tokens", token: token).status == .ok)
        }
    }

    @Test func onlyTheHashOfATokenIsStored() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let stored = try await environment.owner.withCompany(a.id, logger: environment.logger) { connection in
            try await connection.rows("SELECT encode(token_hash, 'hex') FROM stockyard.api_tokens WHERE id = \(a.tokenID)")
                .collect().first!.decode(String.self)
        }
        #expect(stored == APIToken(value: a.token).hash.hexString)
        #expect(!stored.contains(a.token))
    }
}
