import Crypto

/// An `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header): 1–255 visible ASCII characters
/// the client picks per logical request, typically a UUID.
public struct IdempotencyKey: Sendable, Equatable {
    public static let headerName = "Idempotency-Key"
    public let value: String

    /// Throws a 400-class `invalid` naming the header when the value is empty, too long or not visible ASCII.
    public init(header: String) throws(AppError) {
        guard (1...255).contains(header.utf8.count), header.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .invalid(field: Self.headerName,
                           detail: "'\(Self.headerName)' must be 1 to 255 visible ASCII characters (a UUID, say)")
        }
        value = header
    }

    /// What identifies the request a key was first used for: SHA-256 over the method, the path with its query,
    /// and the body. A retry sends the same three; another request under the same key does not.
    public static func fingerprint(method: String, path: String, body: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array("\(method) \(path)\n".utf8))
        hasher.update(data: Array(body))
        return Array(hasher.finalize())
    }
}
