import Foundation
import StockyardCore
import Testing

@Suite struct SQLStatementSplitterTests {
    @Test func splitsAtTopLevelSemicolonsOnly() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE t (a text DEFAULT 'x;y', "we;ird" int);
            /* block; /* nested; */ still comment; */
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
            CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT 'a;b' $body$;
            SELECT E'it\\'s; fine', 'it''s; fine', $1;
            """
        let statements = SQLStatementSplitter.split(script)
        #expect(statements.count == 4)
        #expect(statements[0].hasPrefix("-- a comment; with a semicolon\nCREATE TABLE t"))
        #expect(statements[1].contains("RETURN 1; END $$"))
        #expect(statements[2].hasSuffix("$body$ SELECT 'a;b' $body$"))
        #expect(statements[3] == #"SELECT E'it\'s; fine', 'it''s; fine', $1"#)
    }

    @Test func dropsEmptyAndCommentOnlyStatements() {
        #expect(SQLStatementSplitter.split(";;\n  ;\n-- only a comment\n/* and this */").isEmpty)
        #expect(SQLStatementSplitter.split("SELECT 1") == ["SELECT 1"])
        #expect(SQLStatementSplitter.split("SELECT 1;\n-- trailing comment\n") == ["SELECT 1"])
    }

    @Test func identifiersThatLookLikeQuotesAreNotQuotes() {
        // `ELSE'x'` is not an E'' string (its backslash is an ordinary character); `a$b$` is an identifier.
        #expect(SQLStatementSplitter.split(#"SELECT CASE WHEN true THEN 'a' ELSE'' END; SELECT 2"#).count == 2)
        #expect(SQLStatementSplitter.split("SELECT 1 AS a$b$; SELECT 2").count == 2)
    }

    @Test func everyMigrationFileSplitsIntoBalancedStatements() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        #expect(!names.isEmpty)
        for name in names {
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let statements = SQLStatementSplitter.split(sql)
            #expect(!statements.isEmpty, "\(name)")
            for statement in statements {
                #expect(statement.components(separatedBy: "$$").count % 2 == 1, "\(name): a $$ body was cut: \(statement.prefix(80))")
            }
        }
    }

    @Test func theRealMigrationsSplitIntoWholeStatements() throws {
        let doBlock = """
            DO $$
            BEGIN
                EXECUTE format('ALTER DATABASE %I SET search_path = stockyard, public', current_database());
            END
            $$;
            SELECT 1;
            """
        let statements = SQLStatementSplitter.split(doBlock)
        #expect(statements.count == 2)
        #expect(statements[0].hasSuffix("END\n$$"))
    }
}
