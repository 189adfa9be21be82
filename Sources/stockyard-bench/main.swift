import ArgumentParser
import NIOCore
import NIOPosix

// The bench is a load generator sharing two cores with the server it measures. Swift concurrency runs on NIO's
// event loops (no hop per read/write), and a command may ask for fewer loops than cores — `http` uses one by default,
// like `wrk -t1`. Both must happen before any task runs, so parse first, then install, then run.
do {
    var command = try StockyardBench.parseAsRoot()
    if let threaded = command as? any ClientThreading {
        NIOSingletons.groupLoopCountSuggestion = max(1, threaded.clientThreads)
    }
    _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    if let asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(asyncCommand)
    } else {
        try command.run()
    }
} catch {
    StockyardBench.exit(withError: error)
}
