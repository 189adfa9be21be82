import Foundation
import StockyardCore
import Testing

@Suite struct RFC3339Tests {
    @Test func keepsMicrosecondsAndReadsBack() throws {
        let date = Date(timeIntervalSince1970: 1_796_234_427.877041)
        #expect(date.rfc3339Microseconds == "2026-12-02T18:00:27.877041Z")
        let back = try Date(date.rfc3339Microseconds, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        #expect(abs(back.timeIntervalSince(date)) < 0.000_002)
    }

    @Test func twoInstantsInOneMillisecondStayOrdered() {
        let first = Date(timeIntervalSince1970: 1_796_234_427.000_100), second = Date(timeIntervalSince1970: 1_796_234_427.000_900)
        #expect(first.rfc3339Microseconds == "2026-12-02T18:00:27.000100Z")
        #expect(first.rfc3339Microseconds < second.rfc3339Microseconds)
    }

    @Test func aFractionThatRoundsUpCarriesIntoTheSecond() {
        #expect(Date(timeIntervalSince1970: 1_796_234_427.999_999_8).rfc3339Microseconds == "2026-12-02T18:00:28.000000Z")
    }
}
