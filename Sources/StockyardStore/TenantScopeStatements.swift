import PostgresNIO

/// The statements that frame every tenant transaction, prepared once per connection so Postgres skips parse and plan.
enum TenantScopeStatements {
    struct Begin: PostgresPreparedStatement {
        typealias Row = Void
        static let sql = "BEGIN"
        func makeBindings() throws -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }
    struct Commit: PostgresPreparedStatement {
        typealias Row = Void
        static let sql = "COMMIT"
        func makeBindings() throws -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }
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
