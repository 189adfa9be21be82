import Crypto
import Foundation

/// Seals the shops' storefront credentials (access token, webhook secret) for storage: AES-256-GCM under a key from
/// the environment (`STOCKYARD_SECRET_KEY`, 32 bytes in base64), so a database dump alone does not reveal them.
/// The sealed form is nonce ‖ ciphertext ‖ tag; the shop's id is bound as authenticated data, so a sealed value
/// copied onto another shop's row does not open.
public struct SecretBox: Sendable {
    /// The key's bytes (SymmetricKey itself is not Sendable).
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public enum Failure: Error, Equatable {
        case invalidKey
        case cannotOpen
    }

    /// `base64Key`: 32 random bytes in base64 (`openssl rand -base64 32`).
    public init(base64Key: String) throws(Failure) {
        guard let bytes = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw .invalidKey
        }
        keyBytes = bytes
    }

    public func seal(_ plaintext: String, boundTo context: String) throws -> Data {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw Failure.cannotOpen }
        return combined
    }

    public func open(_ sealed: Data, boundTo context: String) throws(Failure) -> String {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return String(decoding: try AES.GCM.open(box, using: key, authenticating: Data(context.utf8)), as: UTF8.self)
        } catch {
            throw .cannotOpen
        }
    }
}
