import Crypto

/// A bearer token: `sy_` followed by 32 random bytes in base64url. Only its SHA-256 is stored.
public struct APIToken: Sendable, Equatable {
    public static let prefix = "sy_"
    public let value: String

    public init(value: String) { self.value = value }

    /// A new token from the system's cryptographic random source.
    public static func generate() -> APIToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        return APIToken(value: prefix + Base64URL.encode(bytes))
    }

    /// The SHA-256 of the token's UTF-8 bytes: what `api_tokens.token_hash` holds.
    public var hash: [UInt8] { Array(SHA256.hash(data: Array(value.utf8))) }

    /// Parses `Authorization: Bearer <token>`; nil when the header is absent or not a bearer credential.
    public static func fromAuthorizationHeader(_ header: String?) -> APIToken? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = String(parts[1]).trimmingWhitespace()
        // Bound the work on hostile input before hashing.
        guard !token.isEmpty, token.utf8.count <= 256 else { return nil }
        return APIToken(value: token)
    }
}

/// base64url without padding (RFC 4648 §5).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            let remaining = bytes.count - index
            out.append(alphabet[Int(triple >> 18 & 0x3f)])
            out.append(alphabet[Int(triple >> 12 & 0x3f)])
            if remaining > 1 { out.append(alphabet[Int(triple >> 6 & 0x3f)]) }
            if remaining > 2 { out.append(alphabet[Int(triple & 0x3f)]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
