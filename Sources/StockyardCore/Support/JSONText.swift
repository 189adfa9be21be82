import Foundation

/// Compact JSON text for a `JSONSerialization`-style tree (dictionaries, arrays, strings, numbers, booleans, `NSNull`),
/// keys sorted. It replaces `JSONSerialization.data(withJSONObject:)` on the storefront paths: on Linux that call
/// bridges every value through NSString/NSNumber and cost about 40 µs for a five-key webhook body in a release build
/// on the benchmark machine, where writing the bytes directly is a matter of a few µs. `JSONTextTests` pins the output.
public enum JSONText {
    public struct Unencodable: Error, CustomStringConvertible {
        public let description: String
    }

    public static func data(_ value: Any) throws -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        try write(value, to: &out)
        return Data(out)
    }

    private static func write(_ value: Any, to out: inout [UInt8]) throws {
        switch value {
        case let text as String: writeString(text, to: &out)
        // Exact types: `as? Bool` and `as? Int` would also bridge an NSNumber (1 would read as true).
        case let flag as Bool where type(of: value) == Bool.self: out += flag ? Array("true".utf8) : Array("false".utf8)
        case let number as Int where type(of: value) == Int.self: out += Array(String(number).utf8)
        case let number as Int64 where type(of: value) == Int64.self: out += Array(String(number).utf8)
        case let number as Int32 where type(of: value) == Int32.self: out += Array(String(number).utf8)
        case let number as Double where type(of: value) == Double.self: try writeDouble(number, to: &out)
        case let number as NSNumber:
            // What JSONSerialization parsed: a whole number stays whole.
            let double = number.doubleValue
            if double == double.rounded(), abs(double) < 9_007_199_254_740_992 { out += Array(String(number.int64Value).utf8) }
            else { try writeDouble(double, to: &out) }
        case let object as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                try write(object[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let array as [Any]:
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try write(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case is NSNull: out += Array("null".utf8)
        default:
            throw Unencodable(description: "\(type(of: value)) is not a JSON value")
        }
    }

    private static func writeDouble(_ number: Double, to out: inout [UInt8]) throws {
        guard number.isFinite else { throw Unencodable(description: "\(number) is not a JSON number") }
        out += Array(String(number).utf8)
    }

    private static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
