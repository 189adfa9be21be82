import Foundation
import StockyardCore

/// Odoo 17's product type: only `product` (storable) keeps quants; `consu` and `service` do not.
public enum ProductType: String, Sendable, Codable, CaseIterable {
    case product, consu, service
}

/// A product variant (Odoo's `product.product`).
public struct Product: Sendable, Codable, Equatable {
    public let id: Int64
    public let name: String
    /// The SKU ("internal reference"), unique in the company when set.
    public let defaultCode: String?
    public let barcode: String?
    public let categId: Int64?
    public let type: ProductType
    public let active: Bool
    public let createDate: Date
    public let writeDate: Date
}

/// Changes to a product, or a new one (where `name` is required); absent fields keep their value or default.
public struct ProductFields: Sendable {
    public var name: Patch<String> = .absent
    public var defaultCode: Patch<String> = .absent
    public var barcode: Patch<String> = .absent
    public var categId: Patch<Int64> = .absent
    public var type: Patch<ProductType> = .absent
    public var active: Patch<Bool> = .absent

    public init() {}
}

/// List filters for products.
public struct ProductFilter: Sendable {
    public var defaultCode: String?
    public var barcode: String?
    public var categId: Int64?
    public var active: Bool?

    public init(defaultCode: String? = nil, barcode: String? = nil, categId: Int64? = nil, active: Bool? = nil) {
        self.defaultCode = defaultCode
        self.barcode = barcode
        self.categId = categId
        self.active = active
    }
}

/// A product category (Odoo's `product.category`), by name.
public struct ProductCategory: Sendable, Codable, Equatable {
    public let id: Int64
    public let name: String
    public let createDate: Date
}
