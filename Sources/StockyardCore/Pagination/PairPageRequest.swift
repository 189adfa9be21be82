/// Paging by a two-part key, for rows that have no id of their own (a shop's level is a storefront location and a
/// variant): `limit` as `PageRequest`'s, and `cursor` "c<first>.<second>" from a previous page's `next_cursor`.
public struct PairPageRequest: Sendable, Equatable {
    public let limit: Int
    /// Only keys after (afterFirst, afterSecond), in (first, second) order, are returned.
    public let afterFirst: Int64
    public let afterSecond: Int64

    public init(limit: Int = PageRequest.defaultLimit, afterFirst: Int64 = 0, afterSecond: Int64 = 0) {
        self.limit = limit
        self.afterFirst = afterFirst
        self.afterSecond = afterSecond
    }

    public init(limit: String?, cursor: String?) throws(AppError) {
        let limit = try PageRequest(limit: limit, cursor: nil).limit
        guard let cursor, !cursor.isEmpty else {
            self.init(limit: limit)
            return
        }
        let parts = cursor.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard cursor.hasPrefix("c"), parts.count == 2, let first = Int64(parts[0]), let second = Int64(parts[1]), first > 0, second > 0 else {
            throw .invalid(field: "cursor", detail: "'cursor' is not a cursor this API returned")
        }
        self.init(limit: limit, afterFirst: first, afterSecond: second)
    }

    /// Builds the page from up to `limit + 1` fetched rows: the extra row only says there is more.
    public func page<Item>(from rows: [Item], key: (Item) -> (Int64, Int64)) -> Page<Item> {
        Page(rows: rows, limit: limit, cursor: { let (first, second) = key($0); return "c\(first).\(second)" })
    }
}
