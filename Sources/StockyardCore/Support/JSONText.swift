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
        // The value's exact type first, compared as a metatype. A conditional cast that fails is not cheap here: on
        // Linux `a dictionary as? NSNumber` bridges the whole dictionary to NSDictionary (every value with it) before
        // it says no, which was 6% of the inventory bench's process (perf, `ops/bench inventory`).
        let type = type(of: value)
        if type == String.self { writeString(value as! String, to: &out) }
        else if type == [String: Any].self { try writeObject(value as! [String: Any], to: &out) }
        else if type == [Any].self { try writeArray(value as! [Any], to: &out) }
        else if type == Int.self { out += Array(String(value as! Int).utf8) }
        else if type == Int64.self { out += Array(String(value as! Int64).utf8) }
        else if type == Int32.self { out += Array(String(value as! Int32).utf8) }
        else if type == Bool.self { out += (value as! Bool) ? Array("true".utf8) : Array("false".utf8) }
        else if type == Double.self { try writeDouble(value as! Double, to: &out) }
        else if value is NSNull { out += Array("null".utf8) }
        // Other collections ([String: String], [Int], …) before NSNumber, for the reason above.
        else if let object = value as? [String: Any] { try writeObject(object, to: &out) }
        else if let array = value as? [Any] { try writeArray(array, to: &out) }
        else if let number = value as? NSNumber {
            // What JSONSerialization parsed: a whole number stays whole.
            let double = number.doubleValue
            if double == double.rounded(), abs(double) < 9_007_199_254_740_992 { out += Array(String(number.int64Value).utf8) }
            else { try writeDouble(double, to: &out) }
        } else {
            throw Unencodable(description: "\(type) is not a JSON value")
        }
    }

    private static func writeObject(_ object: [String: Any], to out: inout [UInt8]) throws {
        out.append(UInt8(ascii: "{"))
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            try write(object[key]!, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func writeArray(_ array: [Any], to out: inout [UInt8]) throws {
        out.append(UInt8(ascii: "["))
        for (index, element) in array.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            try write(element, to: &out)
        }
        out.append(UInt8(ascii: "]"))
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
