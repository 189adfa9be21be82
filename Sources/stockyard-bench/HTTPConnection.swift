import NIOCore
import NIOHTTP1
import NIOPosix

/// A raw HTTP/1.1 client connection on NIO: connect, then send requests one after another on it, reading each
/// response to its end (the body is discarded). No pooling, no redirects, nothing between the bench and the socket.
enum HTTPConnection {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// The parts of a response the bench looks at.
    struct Response: Sendable {
        let status: UInt
        /// Whether the server lets the connection be reused.
        let keepAlive: Bool
    }

    /// The server ended the connection before the response was complete.
    struct ClosedEarly: Error, CustomStringConvertible {
        var description: String { "the server closed the connection mid-response" }
    }

    static func connect(to endpoint: Endpoint) async throws -> Channel {
        try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .connectTimeout(.seconds(5))
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Opens a connection, sends one request and returns its response: the preflight check before a scenario.
    static func fetchOnce(_ request: LoadRequest) async throws -> Response {
        try await connect(to: request.endpoint).executeThenClose { inbound, outbound in
            var exchange = Exchange(inbound: inbound, outbound: outbound)
            return try await exchange.send(request.head)
        }
    }

    /// Request/response turns on one open connection.
    struct Exchange {
        private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
        private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

        init(inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>,
             outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) {
            self.inbound = inbound.makeAsyncIterator()
            self.outbound = outbound
        }

        /// Writes `head` (no body) and reads the whole response.
        mutating func send(_ head: HTTPRequestHead) async throws -> Response {
            try await exchange(head, body: nil, keepBody: false).response
        }

        /// Writes `head` and `body`, and reads the whole response, keeping its body.
        mutating func send(_ head: HTTPRequestHead, body: ByteBuffer?) async throws -> (response: Response, body: ByteBuffer) {
            try await exchange(head, body: body, keepBody: true)
        }

        private mutating func exchange(_ head: HTTPRequestHead, body: ByteBuffer?,
                                       keepBody: Bool) async throws -> (response: Response, body: ByteBuffer) {
            if let body {
                try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(body)), .end(nil)])
            } else {
                try await outbound.write(contentsOf: [.head(head), .end(nil)])
            }
            var status: UInt = 0
            var keepAlive = true
            var received = ByteBuffer()
            while let part = try await inbound.next() {
                switch part {
                case .head(let response):
                    status = response.status.code
                    keepAlive = response.isKeepAlive
                case .body(var chunk):
                    if keepBody { received.writeBuffer(&chunk) }
                case .end:
                    return (Response(status: status, keepAlive: keepAlive), received)
                }
            }
            throw ClosedEarly()
        }
    }
}
