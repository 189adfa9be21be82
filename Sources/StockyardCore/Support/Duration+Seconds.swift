extension Duration {
    /// The duration in seconds, fractions included (for `make_interval(secs => …)`, `Date` arithmetic and reports).
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
