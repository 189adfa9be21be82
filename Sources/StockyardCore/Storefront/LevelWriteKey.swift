import Crypto
import Foundation

/// The `@idempotent(key:)` of one logical level write: a UUID derived from what makes the write (the company, the
/// job, the compare-and-set round, the level, the value sent and the value it replaces). A retry of the same write
/// sends the same key, so the storefront applies it once; a write after a re-read is another round and so another
/// key, even when it compares against a value seen before (with the same key the storefront would only replay its
/// first answer, "stale", every time).
public enum LevelWriteKey {
    public static func make(company: Int64, job: Int64, round: Int, location: Int64, item: Int64, quantity: Int, changeFrom: Int) -> String {
        let name = "stockyard:c\(company)-j\(job)-r\(round)-l\(location)-i\(item)-q\(quantity)-f\(changeFrom)"
        var bytes = Array(SHA256.hash(data: Data(name.utf8)).prefix(16))
        bytes[6] = bytes[6] & 0x0f | 0x80   // version 8: a name-derived UUID of our own scheme (RFC 9562)
        bytes[8] = bytes[8] & 0x3f | 0x80   // RFC 9562's variant
        return bytes.withUnsafeBytes { UUID(uuid: $0.load(as: uuid_t.self)) }.uuidString.lowercased()
    }
}
