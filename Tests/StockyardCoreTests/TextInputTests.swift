import StockyardCore
import Testing

@Suite struct TextInputTests {
    @Test func countsCodePointsAsPostgresDoes() throws {
        // 150 grapheme clusters, 300 code points: Swift's count says 150, Postgres's length() says 300.
        let combining = String(repeating: "e\u{301}", count: 150)
        #expect(combining.count == 150)
        #expect(throws: AppError.invalid(field: "name", detail: "'name' must be at most 200 characters")) {
            try TextInput.validate(combining, field: "name", maxLength: 200)
        }
        #expect(try TextInput.validate("  Acme  ", field: "name", maxLength: 200) == "Acme")
    }

    @Test func refusesNULAndBlank() {
        #expect(throws: AppError.self) { try TextInput.validate("a\u{0}b", field: "name", maxLength: 200) }
        #expect(throws: AppError.invalid(field: "name", detail: "'name' must not be empty")) {
            try TextInput.validate("   ", field: "name", maxLength: 200)
        }
    }
}
