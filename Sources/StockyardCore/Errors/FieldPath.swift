/// Turns a decoder's coding path into the field name a client sent: `lines[2].product_id`.
public enum FieldPath {
    public static func render(_ codingPath: [any CodingKey], adding key: (any CodingKey)? = nil) -> String {
        var path = ""
        for component in codingPath + (key.map { [$0] } ?? []) {
            if let index = component.intValue {
                path += "[\(index)]"
            } else {
                path += (path.isEmpty ? "" : ".") + snakeCase(component.stringValue)
            }
        }
        return path
    }

    /// `productID` → `product_id`, `createdAt` → `created_at`; snake_case input is returned unchanged.
    public static func snakeCase(_ name: String) -> String {
        let chars = Array(name)
        var out = ""
        for (index, c) in chars.enumerated() {
            if c.isUppercase {
                let previousIsLower = index > 0 && (chars[index - 1].isLowercase || chars[index - 1].isNumber)
                let nextIsLower = index + 1 < chars.count && chars[index + 1].isLowercase
                let previousIsUpper = index > 0 && chars[index - 1].isUppercase
                if index > 0 && (previousIsLower || (previousIsUpper && nextIsLower)) { out.append("_") }
                out += c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }
}

/// A decoding failure as a client should read it: which field, and what is wrong with it.
public struct InputError: Error, Equatable, Sendable {
    public enum Kind: String, Sendable { case malformed, missing, wrongType, invalidValue }
    public let kind: Kind
    public let field: String?
    public let detail: String

    public init(kind: Kind, field: String?, detail: String) {
        self.kind = kind
        self.field = field
        self.detail = detail
    }

    public init(_ error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            let field = FieldPath.render(context.codingPath, adding: key)
            self.init(kind: .missing, field: field, detail: "'\(field)' is required")
        case .valueNotFound(let type, let context):
            let field = FieldPath.render(context.codingPath)
            self.init(kind: .missing, field: field, detail: "'\(field)' must not be null (expected \(Self.jsonType(type)))")
        case .typeMismatch(let type, let context):
            let field = FieldPath.render(context.codingPath)
            self.init(kind: .wrongType, field: field.isEmpty ? nil : field,
                      detail: field.isEmpty ? "the body must be \(Self.jsonType(type))" : "'\(field)' must be \(Self.jsonType(type))")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            self.init(kind: .malformed, field: nil, detail: "the body is not valid JSON")
        case .dataCorrupted(let context):
            let field = FieldPath.render(context.codingPath)
            self.init(kind: .invalidValue, field: field, detail: "'\(field)' is invalid: \(context.debugDescription)")
        @unknown default:
            self.init(kind: .malformed, field: nil, detail: "the body could not be read")
        }
    }

    /// JSON's name for what a Swift type decodes from.
    static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : (String(describing: type).hasPrefix("Dictionary") ? "an object" : "a valid value")
        }
    }
}
