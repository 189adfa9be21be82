import Foundation

/// Stockyard's JSON, for the API and the CLI's `--json`: snake_case keys (Shopify's and Odoo's convention), ISO 8601 dates.
public enum JSONCoding {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        // Accepts RFC 3339 with or without fractional seconds; a bad date names its field (the built-in
        // .iso8601 strategy reports an empty coding path).
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: .iso8601) { return date }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an RFC 3339 date-time such as 2026-01-31T12:00:00Z")
        }
        return decoder
    }()
}
