/// Sync workers: the job runner (LISTEN + claim loop), one handler per job kind, and the storefront client.
/// The sync-engine issue fills this target; it exists now so the package has the layout DESIGN §3 names.
enum StockyardSync {}
