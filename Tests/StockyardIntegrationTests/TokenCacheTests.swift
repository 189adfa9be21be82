import Foundation
import HummingbirdTesting
@testable import StockyardAPI
import StockyardCore
import StockyardStore
import Testing

/// The token cache saves a round trip per request but must never outlive a revocation.
@Suite struct TokenCacheTests {
    @Test func aTokenRevokedByAnotherProcessIsRefusedWithinMilliseconds() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let victim = try await environment.issueToken(company: a.id, scopes: [.stockRead])
        try await withListeningAPI { client, cache in
            // A lookup that overlaps any token change (other tests run in parallel) is not stored, so ask until one is.
            try await waitUntil {
                let response = try await client.send(.get, "/v1/me", token: victim.token)
                return response.status == .ok && cache.principal(forHash: APIToken(value: victim.token).hash.hexString) != nil
            }
            // Revoked straight in SQL, as `stockyard token revoke` in another process would.
            try await environment.owner.withCompany(a.id, logger: environment.logger) { connection in
                try await connection.rows("UPDATE stockyard.api_tokens SET revoked_at = now() WHERE id = \(victim.id)")
            }
            try await waitUntil { cache.principal(forHash: APIToken(value: victim.token).hash.hexString) == nil }
            #expect(try await client.send(.get, "/v1/me", token: victim.token).status == .unauthorized)
        }
    }

    @Test func aTokenRevokedThroughThisAPIIsRefusedOnTheVeryNextRequest() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let victim = try await environment.issueToken(company: a.id, scopes: [.stockRead])
        try await withListeningAPI { client, _ in
            let before = try await client.send(.get, "/v1/me", token: victim.token)
            let revoked = try await client.send(.delete, "/v1/tokens/\(victim.id)", token: a.token)
            // No waiting for the NOTIFY: the revoking process forgets the token before it answers.
            let after = try await client.send(.get, "/v1/me", token: victim.token)
            #expect(before.status == .ok && revoked.status == .ok)
            #expect(after.status == .unauthorized)
        }
    }

    @Test func aCachedTokenStillExpiresOnTime() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        try await withListeningAPI { client, cache in
            // Long enough for the cache to fill even while the rest of the suite loads the machine.
            let expiry = Date().addingTimeInterval(8)
            let brief = try await environment.issueToken(company: a.id, scopes: [.stockRead], expiresAt: expiry)
            let hash = APIToken(value: brief.token).hash.hexString
            try await waitUntil(timeout: .seconds(7)) {
                try await client.send(.get, "/v1/me", token: brief.token).status == .ok && cache.principal(forHash: hash) != nil
            }
            try await Task.sleep(for: .seconds(max(0, expiry.timeIntervalSinceNow) + 0.1))
            // No database change happened: the cached entry itself knows it has expired.
            #expect(try await client.send(.get, "/v1/me", token: brief.token).status == .unauthorized)
        }
    }

    @Test func withoutItsListenerTheCacheAnswersNothing() {
        let cache = TokenCache()
        let principal = Principal(tokenID: 1, companyID: 1, shopID: nil, scopes: [.admin])
        cache.store(principal, hash: "h", generation: cache.generation())
        #expect(cache.principal(forHash: "h") == nil)
        cache.setListening(true)
        cache.store(principal, hash: "h", generation: cache.generation())
        #expect(cache.principal(forHash: "h") == principal)
        cache.setListening(false)   // the listener lost its connection: everything is forgotten
        cache.setListening(true)
        #expect(cache.principal(forHash: "h") == nil)
    }

    @Test func aLookupThatRacedAnInvalidationIsNotStored() {
        let cache = TokenCache()
        cache.setListening(true)
        let principal = Principal(tokenID: 1, companyID: 1, shopID: nil, scopes: [.admin])
        let before = cache.generation()
        cache.invalidate(hash: "h")            // the revocation's notification arrives mid-lookup
        cache.store(principal, hash: "h", generation: before)
        #expect(cache.principal(forHash: "h") == nil)
    }

    @Test func entriesAgeOut() async throws {
        let cache = TokenCache(timeToLive: .milliseconds(50))
        cache.setListening(true)
        let principal = Principal(tokenID: 1, companyID: 1, shopID: nil, scopes: [.admin])
        cache.store(principal, hash: "h", generation: cache.generation())
        #expect(cache.principal(forHash: "h") != nil)
        try await Task.sleep(for: .milliseconds(80))
        #expect(cache.principal(forHash: "h") == nil)
    }
}

/// The API with its token change listener running, once the cache is live.
private func withListeningAPI(_ body: @Sendable (any TestClientProtocol, TokenCache) async throws -> Void) async throws {
    let environment = try await TestEnvironment.get()
    let dependencies = environment.apiDependencies()
    try await withAPI(dependencies, services: dependencies.services(logger: environment.logger)) { client in
        try await waitUntil { dependencies.tokenCache.isListening }
        try await body(client, dependencies.tokenCache)
    }
}

/// Polls `condition` every 10 ms for up to `timeout`.
func waitUntil(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met within \(timeout)")
}
