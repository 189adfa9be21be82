/// The input field a failed CHECK constraint guards, for a problem that names it. Postgres names a column's
/// CHECK `<table>_<column>_check` (and `…_check1`, `…_check2` for further ones), and the API's fields carry the
/// columns' names. Named table-level constraints say nothing about one field, so they give nil.
public enum CheckConstraintField {
    public static func field(constraint: String?, table: String?) -> String? {
        guard let constraint, let table, constraint.hasPrefix(table + "_") else { return nil }
        let rest = constraint.dropFirst(table.count + 1)
        guard let range = rest.range(of: "_check", options: .backwards),
              rest[range.upperBound...].allSatisfy(\.isNumber), range.lowerBound > rest.startIndex else { return nil }
        return String(rest[..<range.lowerBound])
    }
}
