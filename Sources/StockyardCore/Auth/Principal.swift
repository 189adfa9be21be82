import Foundation

/// Who is calling: the token's company (the tenant of every query it makes), its optional shop, its scopes
/// and its expiry. A shop-bound token acts only within its shop.
public struct Principal: Sendable, Equatable {
    public let tokenID: Int64
    public let companyID: Int64
    public let shopID: Int64?
    public let scopes: [Scope]
    /// When the token stops working; nil for never.
    public let expiresAt: Date?

    public init(tokenID: Int64, companyID: Int64, shopID: Int64?, scopes: [Scope], expiresAt: Date? = nil) {
        self.tokenID = tokenID
        self.companyID = companyID
        self.shopID = shopID
        self.scopes = scopes
        self.expiresAt = expiresAt
    }

    /// Throws 403 unless the token carries `scope` (or one that implies it).
    public func require(_ scope: Scope) throws(AppError) {
        guard scopes.allows(scope) else { throw .forbidden("this token lacks the '\(scope.rawValue)' scope") }
    }
}
