import StockyardCore
import Testing

@Suite struct TokenAndScopeTests {
    @Test func generatedTokensAreRandomPrefixedAndURLSafe() {
        let tokens = (0..<100).map { _ in APIToken.generate().value }
        #expect(Set(tokens).count == 100)
        for token in tokens {
            #expect(token.hasPrefix("sy_"))
            #expect(token.count == 3 + 43)   // 32 bytes in unpadded base64url
            #expect(token.dropFirst(3).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
    }

    @Test func theHashIsSHA256OfTheTokenText() {
        #expect(APIToken(value: "abc").hash.hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func base64URLMatchesRFC4648Vectors() {
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64URL.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64URL.encode(Array("foob".utf8)) == "Zm9vYg")
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
    }

    @Test func parsesOnlyBearerCredentials() {
        #expect(APIToken.fromAuthorizationHeader("Bearer sy_abc")?.value == "sy_abc")
        #expect(APIToken.fromAuthorizationHeader("bearer   sy_abc  ")?.value == "sy_abc")
        #expect(APIToken.fromAuthorizationHeader("Basic abc") == nil)
        #expect(APIToken.fromAuthorizationHeader("Bearer") == nil)
        #expect(APIToken.fromAuthorizationHeader(nil) == nil)
        #expect(APIToken.fromAuthorizationHeader("Bearer " + String(repeating: "x", count: 300)) == nil)
    }

    @Test func scopesImplyWhatTheyShould() {
        #expect([Scope.admin].allows(.stockWrite))
        #expect([Scope.stockWrite].allows(.stockRead))
        #expect(![Scope.stockRead].allows(.stockWrite))
        #expect(![Scope.stockWrite].allows(.tokensRead))
        let principal = Principal(tokenID: 1, companyID: 2, shopID: nil, scopes: [.syncRead])
        #expect(throws: AppError.forbidden("this token lacks the 'sync:write' scope")) { try principal.require(.syncWrite) }
    }

    @Test func unknownScopesAreRefusedByName() throws {
        #expect(throws: UnknownScope(name: "stock:delete")) { try Scope.parse(["stock:read", "stock:delete"]) }
        #expect(try Scope.parse(["stock:read", "admin", "stock:read"]) == [.admin, .stockRead])
    }
}
