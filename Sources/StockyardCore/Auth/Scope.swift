/// What a token may do. `admin` grants every scope; `*:write` grants the matching `*:read`.
public enum Scope: String, Sendable, CaseIterable, Codable, Comparable {
    case admin
    case tokensRead = "tokens:read"
    case tokensWrite = "tokens:write"
    case stockRead = "stock:read"
    case stockWrite = "stock:write"
    case syncRead = "sync:read"
    case syncWrite = "sync:write"
    case shopsRead = "shops:read"
    case shopsWrite = "shops:write"
    case pos

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The read scope a write scope includes, if any.
    var impliedRead: Scope? {
        switch self {
        case .tokensWrite: .tokensRead
        case .stockWrite: .stockRead
        case .syncWrite: .syncRead
        case .shopsWrite: .shopsRead
        default: nil
        }
    }

    /// Parses scope names, rejecting unknown ones by name so a typo is not silently dropped.
    public static func parse(_ names: [String]) throws(UnknownScope) -> [Scope] {
        var scopes: [Scope] = []
        for name in names {
            guard let scope = Scope(rawValue: name) else { throw UnknownScope(name: name) }
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        return scopes.sorted()
    }
}

public struct UnknownScope: Error, Equatable, CustomStringConvertible {
    public let name: String
    public init(name: String) { self.name = name }
    public var description: String {
        "unknown scope '\(name)'; known scopes: \(Scope.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}

extension Collection where Element == Scope {
    /// Whether these granted scopes allow `required`.
    public func allows(_ required: Scope) -> Bool {
        contains(.admin) || contains(required) || contains { $0.impliedRead == required }
    }
}
