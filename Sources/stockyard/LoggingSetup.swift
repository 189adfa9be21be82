import Foundation
import Logging
import StockyardCore
import Synchronization

/// Sets up swift-log once per process: human text, or one JSON object per line (`STOCKYARD_LOG_FORMAT=json`).
enum LoggingSetup {
    private static let done = Mutex(false)

    static func bootstrap(_ config: StockyardConfig) {
        let first = done.withLock { done in defer { done = true }; return !done }
        guard first else { return }
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch config.logFormat {
            case .text: TextLogHandler(label: label)
            case .json: JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}

/// One line per event on stderr: time, level, label, metadata, message. Unlike swift-log's StreamLogHandler,
/// which re-renders its metadata on every change, metadata is rendered only when a line is written: a request
/// sets request_id and company_id on its logger whether or not anything is logged.
struct TextLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let rendered = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
        let line = "\(Date().formatted(.iso8601)) \(event.level) \(label):\(rendered.isEmpty ? "" : " " + rendered) \(event.message)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// One JSON object per log line on stderr: time, level, label, message and metadata (request_id, company_id…).
struct JSONLogHandler: LogHandler {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }()
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [
            "time": Date().formatted(.iso8601), "level": event.level.rawValue, "label": label, "message": "\(event.message)",
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = "\(value)" }
        guard var line = try? Self.encoder.encode(fields) else { return }
        line.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(line)
    }
}
