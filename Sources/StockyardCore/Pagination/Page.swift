/// A keyset page: items in id order and an opaque cursor for the next page (nil on the last one).
public struct Page<Item: Sendable & Encodable>: Sendable, Encodable {
    public let items: [Item]
    public let nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// The page from up to `limit + 1` fetched rows: the extra row only says there is more, and `cursor` names the
    /// last row kept.
    init(rows: [Item], limit: Int, cursor: (Item) -> String) {
        let items = Array(rows.prefix(limit))
        self.init(items: items, nextCursor: rows.count > limit ? items.last.map(cursor) : nil)
    }
}

/// Paging input: `limit` (1...200, default 50) and `cursor` (from a previous page's `next_cursor`).
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let maxLimit = 200
    public let limit: Int
    /// Only ids greater than this are returned.
    public let afterID: Int64

    public init(limit: Int = PageRequest.defaultLimit, afterID: Int64 = 0) {
        self.limit = limit
        self.afterID = afterID
    }

    public init(limit: String?, cursor: String?) throws(AppError) {
        var parsedLimit = Self.defaultLimit
        if let limit {
            guard let value = Int(limit), (1...Self.maxLimit).contains(value) else {
                throw .invalid(field: "limit", detail: "'limit' must be an integer from 1 to \(Self.maxLimit)")
            }
            parsedLimit = value
        }
        var afterID: Int64 = 0
        if let cursor, !cursor.isEmpty {
            guard cursor.hasPrefix("c"), let id = Int64(cursor.dropFirst()), id > 0 else {
                throw .invalid(field: "cursor", detail: "'cursor' is not a cursor this API returned")
            }
            afterID = id
        }
        self.init(limit: parsedLimit, afterID: afterID)
    }

    /// Builds the page from up to `limit + 1` fetched rows: the extra row only says there is more.
    public func page<Item>(from rows: [Item], id: (Item) -> Int64) -> Page<Item> {
        Page(rows: rows, limit: limit, cursor: { "c\(id($0))" })
    }
}

extension Page: Decodable where Item: Decodable {}
