import Crypto
import Foundation

/// Shopify's webhook signature: `X-Shopify-Hmac-Sha256` is the base64 (not hex) HMAC-SHA256 of the raw body bytes,
/// keyed with the shop's webhook secret (../shared/acceptance/storefront_protocol.md). Verified before the body is
/// parsed, in constant time, against the current secret and, during a rotation, the previous one.
public enum WebhookSignature {
    /// The header value for `body` signed with `secret` (what the simulator sends).
    public static func sign<Body: DataProtocol>(_ body: Body, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Whether `header` is the signature of `body` under one of `secrets`. A missing or malformed header is not.
    public static func isValid<Body: DataProtocol>(_ body: Body, header: String?, secrets: [String]) -> Bool {
        guard let header, let claimed = Data(base64Encoded: header.trimmingCharacters(in: .whitespaces)),
              claimed.count == SHA256.byteCount else { return false }
        var valid = false
        for secret in secrets where !secret.isEmpty {
            // Every secret is checked, so the time taken does not say which one matched.
            let key = SymmetricKey(data: Data(secret.utf8))
            if HMAC<SHA256>.isValidAuthenticationCode(claimed, authenticating: body, using: key) { valid = true }
        }
        return valid
    }
}
