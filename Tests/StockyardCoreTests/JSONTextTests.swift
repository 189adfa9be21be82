import Foundation
import StockyardCore
import Testing

@Suite struct JSONTextTests {
    func text(_ value: Any) throws -> String { String(decoding: try JSONText.data(value), as: UTF8.self) }

    @Test func writesCompactSortedJSONThatFoundationReadsBack() throws {
        let body: [String: Any] = [
            "location_id": Int64(81_234_567_890), "available": -3, "ratio": 0.25, "live": true, "note": NSNull(),
            "name": "Rack \"A\"\\1\nnext\u{1}", "tags": ["é", 2, false] as [Any], "nested": ["b": 1, "a": [String: Any]()] as [String: Any],
        ]
        let written = try text(body)
        #expect(written == #"{"available":-3,"live":true,"location_id":81234567890,"name":"Rack \"A\"\\1\nnext\u0001","nested":{"a":{},"b":1},"note":null,"ratio":0.25,"tags":["é",2,false]}"#)
        let read = try #require(try JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String: Any])
        #expect(read["name"] as? String == "Rack \"A\"\\1\nnext\u{1}")
        #expect((read["location_id"] as? NSNumber)?.int64Value == 81_234_567_890)
    }

    @Test func numbersFoundationParsedStayNumbers() throws {
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(#"{"one":1,"half":0.5}"#.utf8)) as? [String: Any])
        #expect(try text(parsed) == #"{"half":0.5,"one":1}"#)
    }

    @Test func typedCollectionsAreWrittenLikeUntypedOnes() throws {
        let body: [String: Any] = ["labels": ["b": "x", "a": "y"] as [String: String], "ids": [3, 1] as [Int],
                                   "flags": [true] as [Bool], "count": NSNumber(value: 7)]
        #expect(try text(body) == #"{"count":7,"flags":[true],"ids":[3,1],"labels":{"a":"y","b":"x"}}"#)
    }

    @Test func refusesWhatJSONCannotHold() {
        #expect(throws: JSONText.Unencodable.self) { try JSONText.data(["x": Double.nan]) }
        #expect(throws: JSONText.Unencodable.self) { try JSONText.data(["x": Date()]) }
    }
}
