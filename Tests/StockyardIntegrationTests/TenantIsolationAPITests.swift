import Foundation
import StockyardCore
import Testing

/// Company B's token on company A's ids: 404, never 403 and never data.
@Suite struct TenantIsolationAPITests {
    @Test func companyBCannotSeeOrTouchCompanyATokensThroughTheAPI() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        try await withAPI { client in
            let read = try await client.send(.get, "/v1/tokens/\(a.tokenID)", token: b.token)
            #expect(read.status == .notFound)
            #expect(read.isProblem)
            let revoke = try await client.send(.delete, "/v1/tokens/\(a.tokenID)", token: b.token)
            #expect(revoke.status == .notFound)
            // A's token still works and B's list holds only B's tokens.
            #expect(try await client.send(.get, "/v1/me", token: a.token).status == .ok)
            let list = try await client.send(.get, "/v1/tokens", token: b.token).json()
            let ids = (list["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } ?? []
            #expect(ids == [Int(b.tokenID)])
            let me = try await client.send(.get, "/v1/me", token: b.token).json()
            #expect(me["company_id"] as? Int == Int(b.id))
        }
    }

    @Test func companyBCannotBindATokenToCompanyAShop() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        let shop = try await environment.makeShop(company: a.id).id
        try await withAPI { client in
            let response = try await client.send(.post, "/v1/tokens", token: b.token, json: #"{"scopes":["stock:read"],"shop_id":\#(shop)}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.json()["field"] as? String == "shop_id")
        }
    }

    @Test func tokenListsPageByCursor() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        for _ in 0..<4 { _ = try await environment.issueToken(company: a.id, scopes: [.stockRead]) }
        try await withAPI { client in
            var seen: [Int] = []
            var cursor: String?
            repeat {
                let uri = "/v1/tokens?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.send(.get, uri, token: a.token).json()
                seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 5)
            #expect(seen == seen.sorted())
            let bad = try await client.send(.get, "/v1/tokens?cursor=garbage", token: a.token)
            #expect(bad.status == .unprocessableContent)
            #expect(try bad.json()["field"] as? String == "cursor")
        }
    }
}

