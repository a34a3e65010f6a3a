import Foundation

/// Checks a JSON value against the subset of JSON Schema 2020-12 that our generated schemas use
/// (type, properties, required, additionalProperties, items, enum, minimum, maximum, pattern, format).
/// Returns every violation, each with the path where it is, so a rejection can say what is wrong.
public enum SchemaValidator {
    public static func violations(of value: JSONValue, against schema: JSONValue, at path: String = "$") -> [String] {
        var found: [String] = []
        if let type = schema["type"]?.stringValue, !matches(value, type: type) {
            return ["\(path): expected \(type), found \(kind(of: value))"]
        }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            found.append("\(path): \(render(value)) is not one of \(allowed.map(render).joined(separator: ", "))")
        }
        if case .integer(let n) = value {
            if case .integer(let min)? = schema["minimum"], n < min { found.append("\(path): \(n) is below \(min)") }
            if case .integer(let max)? = schema["maximum"], n > max { found.append("\(path): \(n) is above \(max)") }
        }
        if case .string(let text) = value {
            if let pattern = schema["pattern"]?.stringValue,
               text.range(of: pattern, options: .regularExpression) == nil {
                found.append("\(path): '\(text)' does not match \(pattern)")
            }
            switch schema["format"]?.stringValue {
            case "date" where CalendarDate(text) == nil: found.append("\(path): '\(text)' is not a date (YYYY-MM-DD)")
            case "date-time" where Timestamp(text) == nil: found.append("\(path): '\(text)' is not an RFC 3339 date-time")
            default: break
            }
        }
        if case .object(let members) = value {
            if case .array(let required)? = schema["required"] {
                for case .string(let name) in required where members[name] == nil || members[name] == .null {
                    found.append("\(path): missing required '\(name)'")
                }
            }
            let properties: [String: JSONValue]
            if case .object(let p)? = schema["properties"] { properties = p } else { properties = [:] }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[name] {
                    if member == .null, !(schema["required"].map { isListed(name, in: $0) } ?? false) { continue }
                    found += violations(of: member, against: propertySchema, at: "\(path).\(name)")
                } else if let extra = schema["additionalProperties"], case .object = extra {
                    found += violations(of: member, against: extra, at: "\(path).\(name)")
                }
            }
        }
        if case .array(let elements) = value, let items = schema["items"] {
            for (index, element) in elements.enumerated() {
                found += violations(of: element, against: items, at: "\(path)[\(index)]")
            }
        }
        return found
    }

    private static func isListed(_ name: String, in list: JSONValue) -> Bool {
        if case .array(let names) = list { return names.contains(.string(name)) }
        return false
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("integer", .integer), ("object", .object),
             ("array", .array), ("number", .integer), ("number", .number), ("null", .null):
            true
        default: false
        }
    }

    private static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): "'\(s)'"
        case .integer(let i): String(i)
        case .bool(let b): String(b)
        default: kind(of: value)
        }
    }
}
