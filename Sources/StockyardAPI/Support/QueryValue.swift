import StockyardCore

/// Query-string values parsed strictly: a bad one is a 422 naming the parameter, never silently ignored.
enum QueryValue {
    static func id(_ text: String, field: String) throws(AppError) -> Int64 {
        guard let id = Int64(text), id > 0 else { throw .invalid(field: field, detail: "'\(field)' must be a positive integer id") }
        return id
    }

    static func bool(_ text: String, field: String) throws(AppError) -> Bool {
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw .invalid(field: field, detail: "'\(field)' must be true or false")
        }
    }
}
