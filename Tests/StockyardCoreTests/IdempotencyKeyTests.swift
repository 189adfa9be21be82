import StockyardCore
import Testing

@Suite struct IdempotencyKeyTests {
    @Test func acceptsVisibleASCIIUpTo255Characters() throws {
        #expect(try IdempotencyKey(header: "8e03978e-40d5-43e8-bc93-6894a57f9324").value == "8e03978e-40d5-43e8-bc93-6894a57f9324")
        #expect(try IdempotencyKey(header: String(repeating: "k", count: 255)).value.count == 255)
    }

    @Test(arguments: ["", " ", "has space", "tab\there", "é", String(repeating: "k", count: 256)])
    func refusesOtherValuesNamingTheHeader(_ header: String) {
        #expect(throws: AppError.invalid(field: "Idempotency-Key",
                                         detail: "'Idempotency-Key' must be 1 to 255 visible ASCII characters (a UUID, say)")) {
            try IdempotencyKey(header: header)
        }
    }

    @Test func fingerprintDependsOnMethodPathAndBody() {
        let base = IdempotencyKey.fingerprint(method: "POST", path: "/v1/pickings/1/validate", body: Array("{}".utf8))
        #expect(base.count == 32)
        #expect(base == IdempotencyKey.fingerprint(method: "POST", path: "/v1/pickings/1/validate", body: Array("{}".utf8)))
        #expect(base != IdempotencyKey.fingerprint(method: "PATCH", path: "/v1/pickings/1/validate", body: Array("{}".utf8)))
        #expect(base != IdempotencyKey.fingerprint(method: "POST", path: "/v1/pickings/2/validate", body: Array("{}".utf8)))
        #expect(base != IdempotencyKey.fingerprint(method: "POST", path: "/v1/pickings/1/validate", body: Array("{ }".utf8)))
    }
}
