/// Shopify's global ids: `gid://shopify/<Type>/<number>`, as both the storefront client and the simulator write
/// and read them.
public enum ShopifyGID {
    public static func make(_ type: String, _ id: Int64) -> String { "gid://shopify/\(type)/\(id)" }

    /// The number at the end of a gid (or of a bare number given as text); nil for anything else.
    public static func number(_ value: Any?) -> Int64? {
        guard let text = value as? String, let last = text.split(separator: "/").last else { return nil }
        return Int64(last)
    }
}
