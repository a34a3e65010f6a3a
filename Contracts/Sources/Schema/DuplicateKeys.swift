import Foundation

/// JSON with a key twice in one object means different things to different parsers (Foundation keeps
/// the first, others the last), so an event body with one is refused rather than guessed at.
public enum DuplicateKeys {
    /// The first key that appears twice in the same object, or nil. Does not validate the JSON.
    public static func first(in body: [UInt8]) -> String? {
        var stack: [(keys: Set<String>, expectingKey: Bool)?] = []  // nil frames are arrays
        var index = 0
        while index < body.count {
            switch body[index] {
            case UInt8(ascii: "{"): stack.append((keys: [], expectingKey: true))
            case UInt8(ascii: "["): stack.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","): if let top = stack.last, var object = top {
                object.expectingKey = true
                stack[stack.count - 1] = object
            }
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while index < body.count, body[index] != UInt8(ascii: "\"") {
                    index += body[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard let top = stack.last, var object = top, object.expectingKey else { break }
                let raw = Array(body[start...min(index, body.count - 1)])
                let key = raw.contains(UInt8(ascii: "\\"))
                    ? (try? JSONDecoder().decode(String.self, from: Data(raw))) ?? String(decoding: raw, as: UTF8.self)
                    : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                if !object.keys.insert(key).inserted { return key }
                object.expectingKey = false
                stack[stack.count - 1] = object
            default: break
            }
            index += 1
        }
        return nil
    }
}
