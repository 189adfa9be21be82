/// Links a shop's variants to products: by SKU (the product's internal reference), then by barcode (issue 6,
/// item 3). Only active variants are matched automatically; a product claimed by two variants, or already linked
/// to another variant, is ambiguous and left for a person.
public enum ProductMatcher {
    public struct Variant: Sendable, Equatable {
        public let id: Int64
        public let sku: String?
        public let barcode: String?
        public let isActive: Bool
        /// The product it is linked to already (kept as it is).
        public let linkedProduct: Int64?

        public init(id: Int64, sku: String?, barcode: String?, isActive: Bool, linkedProduct: Int64?) {
            self.id = id
            self.sku = sku
            self.barcode = barcode
            self.isActive = isActive
            self.linkedProduct = linkedProduct
        }
    }

    public struct Product: Sendable, Equatable {
        public let id: Int64
        public let code: String?
        public let barcode: String?

        public init(id: Int64, code: String?, barcode: String?) {
            self.id = id
            self.code = code
            self.barcode = barcode
        }
    }

    public enum Outcome: Sendable, Equatable {
        case linkedBySKU(product: Int64)
        case linkedByBarcode(product: Int64)
        /// Already linked before this match: left as it is.
        case kept(product: Int64)
        case unmatched
        /// Several variants point at one product, or the product is linked to another variant.
        case ambiguous(product: Int64)
        /// Draft or archived at the storefront: reported, not linked automatically.
        case notActive
    }

    /// The outcome per variant id.
    public static func match(_ variants: [Variant], products: [Product]) -> [Int64: Outcome] {
        let bySKU = Dictionary(products.compactMap { p in normalized(p.code).map { ($0, p.id) } }, uniquingKeysWith: { first, _ in first })
        let byBarcode = Dictionary(products.compactMap { p in normalized(p.barcode).map { ($0, p.id) } }, uniquingKeysWith: { first, _ in first })
        var proposals: [Int64: Outcome] = [:]
        for variant in variants {
            if let product = variant.linkedProduct {
                proposals[variant.id] = .kept(product: product)
            } else if !variant.isActive {
                proposals[variant.id] = .notActive
            } else if let product = normalized(variant.sku).flatMap({ bySKU[$0] }) {
                proposals[variant.id] = .linkedBySKU(product: product)
            } else if let product = normalized(variant.barcode).flatMap({ byBarcode[$0] }) {
                proposals[variant.id] = .linkedByBarcode(product: product)
            } else {
                proposals[variant.id] = .unmatched
            }
        }
        var claims: [Int64: Int] = [:]
        for outcome in proposals.values { if let product = outcome.product { claims[product, default: 0] += 1 } }
        return proposals.mapValues { outcome in
            switch outcome {
            case .linkedBySKU(let product), .linkedByBarcode(let product):
                claims[product, default: 0] > 1 ? .ambiguous(product: product) : outcome
            default:
                outcome
            }
        }
    }

    /// SKUs and barcodes compare trimmed; blank means none.
    static func normalized(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingWhitespace(), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}

extension ProductMatcher.Outcome {
    public var product: Int64? {
        switch self {
        case .linkedBySKU(let product), .linkedByBarcode(let product), .kept(let product), .ambiguous(let product): product
        case .unmatched, .notActive: nil
        }
    }
}
