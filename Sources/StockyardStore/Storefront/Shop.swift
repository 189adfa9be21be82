import Foundation
import StockyardCore

/// A storefront a company sells through, and how Stockyard talks to it. The credentials are never part of it:
/// only whether they are set.
public struct Shop: Sendable, Codable, Equatable {
    public let id: Int64
    public let name: String
    public let domain: String
    public let apiBaseUrl: String?
    public let apiVersion: String
    public let hasAccessToken: Bool
    public let hasWebhookSecret: Bool
    /// Until when the previous webhook secret (before a rotation) is still accepted.
    public let previousWebhookSecretExpiresAt: Date?
    public let inventoryDirection: InventoryDirection
    public let cutoverState: String
    public let liveAt: Date?
    public let reconcileIntervalSeconds: Int
    public let allowProductCreation: Bool
    public let monitoringOwner: String?
    public let createdAt: Date
    public let updatedAt: Date
}

/// The fields of a shop a client sets; each left `.absent` stays as it is. Secrets are write-only.
public struct ShopSettings: Sendable {
    public var name: Patch<String> = .absent
    public var apiBaseUrl: Patch<String> = .absent
    public var apiVersion: Patch<String> = .absent
    public var accessToken: Patch<String> = .absent
    /// A new secret; the one it replaces stays valid for `ShopRepository.secretRotationWindow`.
    public var webhookSecret: Patch<String> = .absent
    public var inventoryDirection: Patch<InventoryDirection> = .absent
    public var reconcileIntervalSeconds: Patch<Int> = .absent
    public var allowProductCreation: Patch<Bool> = .absent
    public var monitoringOwner: Patch<String> = .absent

    public init() {}
}

/// What a job needs to call a shop's storefront: where, which version, and the sealed token.
public struct ShopConnection: Sendable {
    public let shopID: Int64
    public let apiBaseUrl: String
    public let apiVersion: String
    public let accessTokenSealed: Data
}
