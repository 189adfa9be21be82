import Dispatch
import NIOCore
import NIOPosix

/// NIO's shared event loops, but `any()` always takes the next loop in turn.
///
/// PostgresNIO opens each pool connection on `group.any()`, which, called from an event loop, means "this loop".
/// With Swift concurrency running on the event loops (`stockyard` main), the pool's own task asks from one loop,
/// so every connection, and every request task that awaits one, would pile onto a single core.
final class SpreadingEventLoopGroup: EventLoopGroup, Sendable {
    let base: any EventLoopGroup

    init(_ base: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) { self.base = base }

    func next() -> any EventLoop { base.next() }
    func any() -> any EventLoop { base.next() }
    func makeIterator() -> EventLoopIterator { base.makeIterator() }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        base.shutdownGracefully(queue: queue, callback)
    }

    func _preconditionSafeToSyncShutdown(file: StaticString, line: UInt) {
        base._preconditionSafeToSyncShutdown(file: file, line: line)
    }
}
