/// Splits a SQL script into statements at top-level semicolons.
///
/// PostgresNIO speaks the extended protocol, which runs one statement per query, so a migration file
/// is cut here. Semicolons inside quotes ('…', "…", E'…'), dollar-quoted bodies ($$…$$, $tag$…$tag$)
/// and comments (-- …, /* … */, nested) do not end a statement. SQL-standard `BEGIN ATOMIC … END` bodies are
/// not understood: write function bodies dollar-quoted.
public enum SQLStatementSplitter {
    public static func split(_ script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        var hasCode = false   // the current statement has something besides whitespace and comments

        func flush() {
            let text = String(current).trimmingWhitespace()
            if hasCode, !text.isEmpty { statements.append(text) }
            current.removeAll()
            hasCode = false
        }
        func peek(_ offset: Int) -> Unicode.Scalar? {
            index + offset < chars.count ? chars[index + offset] : nil
        }

        while index < chars.count {
            let c = chars[index]
            switch c {
            case "-" where peek(1) == "-":
                while index < chars.count, chars[index] != "\n" { current.append(chars[index]); index += 1 }
            case "/" where peek(1) == "*":
                var depth = 0
                repeat {
                    if chars[index] == "/", peek(1) == "*" {
                        depth += 1; current.append("/"); current.append("*"); index += 2
                    } else if chars[index] == "*", peek(1) == "/" {
                        depth -= 1; current.append("*"); current.append("/"); index += 2
                    } else {
                        current.append(chars[index]); index += 1
                    }
                } while depth > 0 && index < chars.count
            case "'", "\"":
                hasCode = true
                let quote = c
                // E'…' strings allow backslash escapes; standard strings only double the quote.
                let backslashEscapes = quote == "'" && index > 0 && (chars[index - 1] == "E" || chars[index - 1] == "e")
                    && (index < 2 || !isIdentifierCharacter(chars[index - 2]))
                current.append(c); index += 1
                while index < chars.count {
                    let d = chars[index]
                    current.append(d); index += 1
                    if backslashEscapes, d == "\\", index < chars.count {
                        current.append(chars[index]); index += 1
                    } else if d == quote {
                        if index < chars.count, chars[index] == quote { current.append(quote); index += 1 } else { break }
                    }
                }
            case "$":
                hasCode = true
                // `a$b$` is an identifier containing dollars, not a dollar quote.
                let afterIdentifier = index > 0 && isIdentifierCharacter(chars[index - 1])
                if !afterIdentifier, let tag = dollarTag(chars, at: index) {
                    current.append(contentsOf: tag); index += tag.count
                    while index < chars.count, !matches(chars, at: index, tag) { current.append(chars[index]); index += 1 }
                    if index < chars.count { current.append(contentsOf: tag); index += tag.count }
                } else {
                    current.append(c); index += 1
                }
            case ";":
                index += 1
                flush()
            default:
                if !c.properties.isWhitespace { hasCode = true }
                current.append(c); index += 1
            }
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `start`, if that is what is there (and not a `$1` parameter).
    private static func dollarTag(_ chars: [Unicode.Scalar], at start: Int) -> [Unicode.Scalar]? {
        var end = start + 1
        while end < chars.count {
            let c = chars[end]
            if c == "$" { return Array(chars[start...end]) }
            let isIdentifier = c == "_" || c.properties.isAlphabetic || (end > start + 1 && ("0"..."9").contains(c))
            if !isIdentifier { return nil }
            end += 1
        }
        return nil
    }

    private static func isIdentifierCharacter(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c == "$" || c.properties.isAlphabetic || ("0"..."9").contains(c)
    }

    private static func matches(_ chars: [Unicode.Scalar], at start: Int, _ tag: [Unicode.Scalar]) -> Bool {
        guard start + tag.count <= chars.count else { return false }
        for offset in 0..<tag.count where chars[start + offset] != tag[offset] { return false }
        return true
    }
}
