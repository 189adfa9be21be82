/// Checks a free-text field the way Postgres will store it: length in code points (what `length()` counts,
/// unlike Swift's `count` of grapheme clusters) and no NUL, which `text` cannot hold.
public enum TextInput {
    public static func validate(_ value: String, field: String, maxLength: Int, allowEmpty: Bool = false) throws(AppError) -> String {
        let trimmed = value.trimmingWhitespace()
        if !allowEmpty && trimmed.isEmpty {
            throw .invalid(field: field, detail: "'\(field)' must not be empty")
        }
        if value.unicodeScalars.count > maxLength {
            throw .invalid(field: field, detail: "'\(field)' must be at most \(maxLength) characters")
        }
        if value.unicodeScalars.contains("\u{0}") {
            throw .invalid(field: field, detail: "'\(field)' must not contain NUL characters")
        }
        return allowEmpty ? value : trimmed
    }
}
