import Foundation
import StockyardCore
import StockyardStore
import Testing

/// A token bound to a shop acts only within that shop, and no token mints one that outlives it.
@Suite struct ShopBoundTokenTests {
    @Test func aShopTokenSeesAndIssuesOnlyItsShopTokens() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let north = try await environment.makeShop(company: a.id)
        let south = try await environment.makeShop(company: a.id)
        let northAdmin = try await environment.issueToken(company: a.id, scopes: [.tokensWrite], shop: north.id)
        let southToken = try await environment.issueToken(company: a.id, scopes: [.stockRead], shop: south.id)
        try await withAPI { client in
            let list = try await client.send(.get, "/v1/tokens", token: northAdmin.token).json()
            let ids = (list["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } ?? []
            #expect(ids == [Int(northAdmin.id)], "a shop token lists only its shop's tokens")
            #expect(try await client.send(.get, "/v1/tokens/\(a.tokenID)", token: northAdmin.token).status == .notFound)
            #expect(try await client.send(.delete, "/v1/tokens/\(southToken.id)", token: northAdmin.token).status == .notFound)
            #expect(try await client.send(.get, "/v1/me", token: southToken.token).status == .ok, "still valid")

            let elsewhere = try await client.send(.post, "/v1/tokens", token: northAdmin.token,
                                                  json: #"{"scopes":["tokens:read"],"shop_id":\#(south.id)}"#)
            #expect(elsewhere.status == .forbidden)
            let inherited = try await client.send(.post, "/v1/tokens", token: northAdmin.token, json: #"{"scopes":["tokens:read"]}"#)
            #expect(inherited.status == .created)
            #expect(try inherited.json()["shop_id"] as? Int == Int(north.id))
        }
    }

    @Test func aChildTokenNeverOutlivesItsParent() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let parentExpiry = Date().addingTimeInterval(3600)
        let parent = try await environment.issueToken(company: a.id, scopes: [.tokensWrite], expiresAt: parentExpiry)
        try await withAPI { client in
            for body in [#"{"scopes":["tokens:read"]}"#, #"{"scopes":["tokens:read"],"expires_at":"2099-01-01T00:00:00Z"}"#] {
                let child = try await client.send(.post, "/v1/tokens", token: parent.token, json: body)
                #expect(child.status == .created)
                let expiry = try #require(try child.decode(TokenInfo.self).expiresAt)
                #expect(abs(expiry.timeIntervalSince(parentExpiry)) < 1, "\(body) → \(expiry)")
            }
        }
    }

    @Test func valuesPostgresWouldRefuseAre422NotServerErrors() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let combining = String(repeating: "e\\u0301", count: 150)   // 150 characters to Swift, 300 to Postgres
        for body in [#"{"scopes":["admin"],"name":"a\u0000b"}"#, #"{"scopes":["admin"],"name":"\#(combining)"}"#] {
            let response = try await withAPI { try await $0.send(.post, "/v1/tokens", token: a.token, json: body) }
            #expect(response.status == .unprocessableContent, "\(response.text)")
            #expect(try response.json()["field"] as? String == "name")
        }
    }
}
