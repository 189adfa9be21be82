import PostgresNIO

/// Statements every tenant transaction runs, prepared once per connection so Postgres skips parse and plan.
enum TenantScopeStatements {
    struct SetCompany: PostgresPreparedStatement {
        typealias Row = Void
        static let sql = "SELECT set_config('app.company_id', $1, true)"
        let companyID: Int64
        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(String(companyID))
            return bindings
        }
        func decodeRow(_ row: PostgresRow) throws {}
    }
}
