import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import Testing

/// The database itself keeps companies apart: these run SQL directly as `stockyard_app`.
@Suite struct TenancyTests {
    /// A future table with a company_id column cannot forget row-level security.
    @Test func everyTableWithACompanyColumnHasForcedRowLevelSecurityAndAPolicy() async throws {
        let environment = try await TestEnvironment.get()
        let rows = try await environment.owner.collect("""
            SELECT n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*)::int FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'company_id' AND NOT a.attisdropped)
            """)
        var checked: [String] = []
        for row in rows {
            let (table, enabled, forced, policies) = try row.decode((String, Bool, Bool, Int).self)
            #expect(enabled, "\(table): row level security is not enabled")
            #expect(forced, "\(table): row level security is not forced")
            #expect(policies > 0, "\(table): has no policy")
            checked.append(table)
        }
        #expect(checked.contains("stockyard.api_tokens") && checked.contains("stockyard.shops"), "the walk found \(checked)")

        // And each policy is the tenant policy: permissive, for every command, both sides on current_company().
        let policies = try await environment.owner.collect("""
            SELECT schemaname || '.' || tablename, permissive, cmd, coalesce(qual, ''), coalesce(with_check, '')
            FROM pg_policies WHERE schemaname = 'stockyard'
            """)
        #expect(policies.count >= checked.count + 1, "companies has its own policy")
        for row in policies {
            let (table, permissive, command, using, check) = try row.decode((String, String, String, String, String).self)
            #expect(permissive == "PERMISSIVE" && command == "ALL", "\(table)")
            #expect(using.contains("current_company()") && check.contains("current_company()"), "\(table): USING \(using) CHECK \(check)")
        }
    }

    @Test func theAppRoleIsNeitherOwnerNorSuperuserNorBypassesRLS() async throws {
        let environment = try await TestEnvironment.get()
        let row = try await environment.app.collect("""
            SELECT r.rolsuper, r.rolbypassrls,
                   EXISTS (SELECT FROM pg_tables WHERE schemaname = 'stockyard' AND tableowner = current_user)
            FROM pg_roles r WHERE r.rolname = current_user
            """).first!
        let (superuser, bypass, ownsTables) = try row.decode((Bool, Bool, Bool).self)
        #expect(!superuser && !bypass && !ownsTables)
    }

    @Test func withoutATenantTheAppRoleSeesNothingAndCannotInsert() async throws {
        let environment = try await TestEnvironment.get()
        _ = try await environment.makeCompany()
        try await environment.app.withTransaction(logger: environment.logger) { connection in
            for table in ["companies", "shops", "api_tokens"] {
                let count = try await connection.rows(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM stockyard.\(table)"))
                    .collect().first!.decode(Int.self)
                #expect(count == 0, "\(table) leaked \(count) rows without a tenant")
            }
        }
        let a = try await environment.makeCompany()
        await expectSQLState("42501") {
            try await environment.app.withTransaction(logger: environment.logger) { connection in
                _ = try await connection.rows("INSERT INTO stockyard.shops (company_id, name, domain) VALUES (\(a.id), 'x', 'x.example.com')")
            }
        }
    }

    @Test func companyBCannotReadUpdateDeleteOrReferenceCompanyARows() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        let shopA = try await ShopRepository(database: environment.app).create(
            name: "A's shop", domain: "a-\(a.id).myshopify.com", company: a.id, logger: environment.logger)
        let app = environment.app, logger = environment.logger

        try await app.withCompany(b.id, logger: logger) { connection in
            let seen = try await connection.rows("""
                SELECT (SELECT count(*)::int FROM stockyard.shops WHERE company_id = \(a.id))
                     + (SELECT count(*)::int FROM stockyard.api_tokens WHERE company_id = \(a.id))
                     + (SELECT count(*)::int FROM stockyard.companies WHERE id = \(a.id))
                """).collect().first!.decode(Int.self)
            #expect(seen == 0)
            let updated = try await connection.rows(
                "UPDATE stockyard.api_tokens SET revoked_at = now() WHERE company_id = \(a.id) RETURNING id").collect().count
            #expect(updated == 0)
            let deleted = try await connection.rows("DELETE FROM stockyard.shops WHERE id = \(shopA.id) RETURNING id").collect().count
            #expect(deleted == 0)
        }
        // Writing a row that claims to be A's is refused by the policy's WITH CHECK.
        await expectSQLState("42501") {
            try await app.withCompany(b.id, logger: logger) { connection in
                _ = try await connection.rows("INSERT INTO stockyard.shops (company_id, name, domain) VALUES (\(a.id), 'x', 'x.example.com')")
            }
        }
        // Pointing B's row at A's shop is refused by the composite foreign key.
        await expectSQLState("23503") {
            try await app.withCompany(b.id, logger: logger) { connection in
                _ = try await connection.rows("""
                    INSERT INTO stockyard.api_tokens (company_id, shop_id, token_hash, scopes)
                    VALUES (\(b.id), \(shopA.id), \(ByteBuffer(bytes: APIToken.generate().hash)), ARRAY['admin'])
                    """)
            }
        }
        // A's token still resolves and A's shop is intact.
        #expect(try await TokenRepository(database: app).get(id: a.tokenID, company: a.id, logger: logger)?.revokedAt == nil)
        let shops = try await app.withCompany(a.id, logger: logger) { connection in
            try await connection.rows("SELECT count(*)::int FROM stockyard.shops WHERE id = \(shopA.id)").collect().first!.decode(Int.self)
        }
        #expect(shops == 1)
    }

    @Test func theTenantSettingDoesNotOutliveItsTransaction() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        // A pool of one connection: the next transaction gets the very connection A's just used.
        let after = try await Database.withPool(url: environment.appURL, poolSize: 1, logger: environment.logger) { single in
            try await single.withCompany(a.id, logger: environment.logger) { _ in }
            return try await single.withTransaction(logger: environment.logger) { connection in
                try await connection.rows("SELECT coalesce(current_setting('app.company_id', true), '')").collect().first!.decode(String.self)
            }
        }
        #expect(after == "")
    }

    @Test func aFailedCompanyTransactionLeavesNothingBehind() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let domain = "rollback-\(a.id).myshopify.com"
        await expectSQLState("23505") {
            try await environment.app.withCompany(a.id, logger: environment.logger) { connection in
                _ = try await connection.rows("INSERT INTO stockyard.shops (company_id, name, domain) VALUES (\(a.id), 'one', \(domain))")
                _ = try await connection.rows("INSERT INTO stockyard.shops (company_id, name, domain) VALUES (\(a.id), 'two', \(domain))")
            }
        }
        let count = try await environment.app.withCompany(a.id, logger: environment.logger) { connection in
            try await connection.rows("SELECT count(*)::int FROM stockyard.shops WHERE domain = \(domain)").collect().first!.decode(Int.self)
        }
        #expect(count == 0)
    }

    @Test func tokenResolutionIsASecurityDefinerFunctionTheAppMayOnlyExecute() async throws {
        let environment = try await TestEnvironment.get()
        let row = try await environment.owner.collect("""
            SELECT p.prosecdef, pg_get_userbyid(p.proowner),
                   has_function_privilege('stockyard_app', p.oid, 'EXECUTE'), has_function_privilege('public', p.oid, 'EXECUTE')
            FROM pg_proc p WHERE p.oid = 'stockyard.resolve_api_token(bytea)'::regprocedure
            """).first!
        let (definer, owner, appMay, publicMay) = try row.decode((Bool, String, Bool, Bool).self)
        #expect(definer && owner == "stockyard_owner" && appMay && !publicMay)
    }
}

/// Expects `body` to fail with the given SQLSTATE.
func expectSQLState(_ state: String, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected SQLSTATE \(state), but it succeeded", sourceLocation: sourceLocation)
    } catch let error as PSQLError {
        #expect(error.sqlState == state, "got \(String(reflecting: error))", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected SQLSTATE \(state), got \(String(reflecting: error))", sourceLocation: sourceLocation)
    }
}
