import Foundation
import StockyardCore
import Testing

@Suite struct InputErrorTests {
    struct Line: Decodable { let productId: Int64; let quantity: Double }
    struct Order: Decodable { let name: String; let lines: [Line]; let due: Date? }

    func inputError(_ json: String) -> InputError? {
        do {
            _ = try JSONCoding.decoder.decode(Order.self, from: Data(json.utf8))
            return nil
        } catch let error as DecodingError {
            return InputError(error)
        } catch {
            return nil
        }
    }

    @Test func namesTheFieldTheWayTheClientSpelledIt() {
        #expect(inputError(#"{"lines": []}"#) == InputError(kind: .missing, field: "name", detail: "'name' is required"))
        #expect(inputError(#"{"name": "x", "lines": [{"product_id": 1, "quantity": 1}, {"quantity": 2}]}"#)?.field == "lines[1].product_id")
        #expect(inputError(#"{"name": "x", "lines": [{"product_id": "one", "quantity": 1}]}"#)
            == InputError(kind: .wrongType, field: "lines[0].product_id", detail: "'lines[0].product_id' must be an integer"))
        #expect(inputError(#"{"name": null, "lines": []}"#)?.kind == .missing)
        #expect(inputError(#"{"name": "x", "lines": [], "due": "soon"}"#)?.field == "due")
    }

    @Test func malformedJSONHasNoField() {
        #expect(inputError(#"{"name": "#) == InputError(kind: .malformed, field: nil, detail: "the body is not valid JSON"))
        #expect(inputError("[1, 2]")?.detail == "the body must be an object")
    }

    @Test func snakeCasesSwiftNames() {
        #expect(FieldPath.snakeCase("productID") == "product_id")
        #expect(FieldPath.snakeCase("createdAt") == "created_at")
        #expect(FieldPath.snakeCase("already_snake") == "already_snake")
        #expect(FieldPath.snakeCase("URLValue") == "url_value")
    }

    @Test func pageRequestsValidateLimitAndCursor() throws {
        #expect(try PageRequest(limit: nil, cursor: nil) == PageRequest(limit: 50, afterID: 0))
        #expect(try PageRequest(limit: "10", cursor: "c42") == PageRequest(limit: 10, afterID: 42))
        #expect(throws: AppError.self) { try PageRequest(limit: "0", cursor: nil) }
        #expect(throws: AppError.self) { try PageRequest(limit: "201", cursor: nil) }
        #expect(throws: AppError.self) { try PageRequest(limit: nil, cursor: "42") }
        let page = PageRequest(limit: 2).page(from: [1, 2, 3] as [Int64], id: { $0 })
        #expect(page.items == [1, 2] && page.nextCursor == "c2")
        #expect(PageRequest(limit: 3).page(from: [1, 2, 3] as [Int64], id: { $0 }).nextCursor == nil)
    }

    @Test func pairPagesCarryBothPartsOfTheKey() throws {
        #expect(try PairPageRequest(limit: nil, cursor: nil) == PairPageRequest(limit: 50, afterFirst: 0, afterSecond: 0))
        #expect(try PairPageRequest(limit: "2", cursor: "c7.42") == PairPageRequest(limit: 2, afterFirst: 7, afterSecond: 42))
        for bad in ["c42", "7.42", "c7.", "c.42", "c7.42.1", "c0.3", "cx.y"] {
            #expect(throws: AppError.invalid(field: "cursor", detail: "'cursor' is not a cursor this API returned"), "\(bad)") {
                try PairPageRequest(limit: nil, cursor: bad)
            }
        }
        #expect(throws: AppError.self) { try PairPageRequest(limit: "0", cursor: nil) }
        struct Level: Encodable, Sendable { let location: Int64, variant: Int64 }
        let rows = [Level(location: 1, variant: 5), Level(location: 1, variant: 9), Level(location: 2, variant: 3)]
        let page = PairPageRequest(limit: 2).page(from: rows, key: { ($0.location, $0.variant) })
        #expect(page.items.map(\.variant) == [5, 9] && page.nextCursor == "c1.9")
        #expect(PairPageRequest(limit: 3).page(from: rows, key: { ($0.location, $0.variant) }).nextCursor == nil)
    }
}

@Suite struct CheckConstraintFieldTests {
    @Test func aColumnCheckNamesItsColumn() {
        #expect(CheckConstraintField.field(constraint: "shops_api_base_url_check", table: "shops") == "api_base_url")
        #expect(CheckConstraintField.field(constraint: "storefront_locations_buffer_check1", table: "storefront_locations") == "buffer")
    }

    @Test func otherConstraintsNameNoField() {
        #expect(CheckConstraintField.field(constraint: "shops_live_at_check_x", table: "shops") == nil)
        #expect(CheckConstraintField.field(constraint: "positive_quantity", table: "stock_quants") == nil)
        #expect(CheckConstraintField.field(constraint: "shops_check", table: "shops") == nil)
        #expect(CheckConstraintField.field(constraint: nil, table: "shops") == nil)
    }
}
