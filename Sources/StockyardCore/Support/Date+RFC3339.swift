import Foundation

extension Date {
    /// RFC 3339 in UTC with microseconds ("2026-12-02T18:00:27.877041Z"), Postgres's precision. Foundation's
    /// fractional style stops at milliseconds, which reorders events that fall in one millisecond: a storefront
    /// change made right after our write would read as older than it.
    public var rfc3339Microseconds: String {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = (micros / 1_000_000).rounded(.down)
        let fraction = Int(micros - seconds * 1_000_000)
        let whole = Date(timeIntervalSince1970: seconds).formatted(.iso8601)   // "2026-12-02T18:00:27Z"
        let digits = String(fraction)
        return "\(whole.dropLast()).\(String(repeating: "0", count: 6 - digits.count))\(digits)Z"
    }
}
