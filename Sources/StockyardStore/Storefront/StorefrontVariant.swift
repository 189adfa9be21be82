import Foundation
import StockyardCore

/// A storefront variant and the product it is linked to (issue 6, item 3).
public struct StorefrontVariant: Sendable, Codable, Equatable {
    public let id: Int64
    public let shopId: Int64
    public let externalId: Int64
    public let inventoryItemId: Int64
    public let sku: String?
    public let barcode: String?
    /// active, draft or archived at the storefront.
    public let status: String
    public let productId: Int64?
    /// sku, barcode or manual.
    public let match: String?
    public let confirmedAt: Date?
    /// unmatched, ambiguous or not_active while it has no product.
    public let matchIssue: String?
    public let candidateProductId: Int64?
    public let active: Bool
}

/// A variant as the storefront lists it, for the import.
public struct ListedVariant: Sendable, Equatable {
    public let externalId: Int64
    public let inventoryItemId: Int64
    public let sku: String?
    public let barcode: String?
    /// ACTIVE, DRAFT or ARCHIVED, as the storefront says it.
    public let status: String

    public init(externalId: Int64, inventoryItemId: Int64, sku: String?, barcode: String?, status: String) {
        self.externalId = externalId
        self.inventoryItemId = inventoryItemId
        self.sku = sku
        self.barcode = barcode
        self.status = status
    }
}

/// What an import found, by outcome.
public struct VariantImportSummary: Sendable, Codable, Equatable {
    public var listed = 0
    public var linkedBySku = 0
    public var linkedByBarcode = 0
    public var kept = 0
    public var unmatched = 0
    public var ambiguous = 0
    public var notActive = 0
    public var productsCreated = 0
}
