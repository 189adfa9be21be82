import Foundation
import Hummingbird

/// A storefront order as a test places it through the control API (`POST /_simulator/shops/{domain}/orders`).
/// The simulator answers with the order's REST JSON and sends it as `orders/create`, with the fields the protocol
/// lists (../shared/acceptance/storefront_protocol.md). Levels are left as they are: a test that wants Shopify's
/// commitment of the ordered units sets the level itself, so each effect can be observed on its own.
struct OrderSpec: Decodable {
    struct Line: Decodable {
        let variantId: Int64
        let quantity: Int
    }

    let lineItems: [Line]
    let email: String?
    let financialStatus: String?
}

enum SimulatedOrder {
    /// The `orders/create` payload for the shop's next order (REST JSON, snake_case); 422 for a line the shop cannot sell.
    static func place(_ spec: OrderSpec, in shop: inout SimulatedShop, at stamp: String) throws -> [String: Any] {
        shop.orders += 1
        let number = shop.orders
        let orderID = Int64(5_000_000 + number)
        var lines: [[String: Any]] = []
        for (index, line) in spec.lineItems.enumerated() {
            guard let variant = shop.variants.first(where: { $0.id == line.variantId }) else {
                throw HTTPError(.unprocessableContent, message: "line_items[\(index)].variant_id: no variant \(line.variantId) in \(shop.domain)")
            }
            guard line.quantity > 0 else {
                throw HTTPError(.unprocessableContent, message: "line_items[\(index)].quantity: \(line.quantity) is not positive")
            }
            lines.append(["id": orderID * 100 + Int64(index + 1), "variant_id": variant.id, "sku": variant.sku.map { $0 as Any } ?? NSNull(),
                          "quantity": line.quantity, "fulfillable_quantity": line.quantity])
        }
        return [
            "id": orderID, "name": "#\(1000 + number)", "created_at": stamp, "updated_at": stamp, "cancelled_at": NSNull(),
            "financial_status": spec.financialStatus ?? "paid", "fulfillment_status": NSNull(), "line_items": lines,
            "shipping_address": ["address1": "1 Harbour Road", "city": "Leith", "zip": "EH6 6LX", "country_code": "GB"],
            "customer": ["id": 7_000_000 + number, "email": spec.email ?? "buyer\(number)@example.com"],
            "admin_graphql_api_id": "gid://shopify/Order/\(orderID)",
        ]
    }
}
