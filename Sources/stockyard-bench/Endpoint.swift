import ArgumentParser

/// Where the server under test listens, from a base URL `http://host[:port][/prefix]` (plain HTTP only).
struct Endpoint: Sendable, CustomStringConvertible {
    let host: String
    let port: Int
    /// Prepended to every scenario's path; no trailing slash.
    let pathPrefix: String

    init(baseURL: String) throws {
        let invalid = ValidationError("--base-url must look like http://host[:port][/prefix], got \(baseURL)")
        guard baseURL.hasPrefix("http://") else { throw invalid }
        let rest = baseURL.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var prefix = String(rest[slash...])
        while prefix.hasSuffix("/") { prefix.removeLast() }
        var host = Substring(authority)
        var port = 80
        if authority.hasPrefix("[") {   // [::1]:8080
            guard let close = authority.firstIndex(of: "]") else { throw invalid }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let parsed = Int(after.dropFirst()) else { throw invalid }
                port = parsed
            }
        } else if let colon = authority.lastIndex(of: ":") {
            guard let parsed = Int(authority[authority.index(after: colon)...]) else { throw invalid }
            host = authority[..<colon]
            port = parsed
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw invalid }
        self.host = String(host)
        self.port = port
        self.pathPrefix = prefix
    }

    /// The `Host` header's value.
    var authority: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? bracketed : "\(bracketed):\(port)"
    }

    /// The full URL of `path` (which starts with `/`).
    func url(_ path: String) -> String { "http://\(authority)\(pathPrefix)\(path)" }

    var description: String { url("") }
}
