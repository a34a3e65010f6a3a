import Foundation

/// A type whose JSON Schema says more than its encoded shape: a format, a pattern, a set of values.
public protocol SchemaDescribing {
    static var jsonSchema: JSONValue { get }
}

/// A string enum: its schema lists the raw values.
public protocol SchemaEnum: SchemaDescribing, CaseIterable, RawRepresentable where RawValue == String {}

extension SchemaEnum {
    public static var jsonSchema: JSONValue {
        ["type": "string", "enum": .array(allCases.map { .string($0.rawValue) })]
    }
}

extension Money: SchemaDescribing {
    public static var jsonSchema: JSONValue {
        [
            "type": "object",
            "description": "Integer minor units (cents for USD) plus the ISO 4217 currency code; never a decimal.",
            "properties": [
                "amount": ["type": "integer", "minimum": .integer(-Currency.maximumAmount),
                           "maximum": .integer(Currency.maximumAmount)],
                "currency": ["type": "string", "enum": .array(Currency.minorUnitDigits.keys.sorted().map { .string($0) })],
            ],
            "required": ["amount", "currency"],
        ]
    }
}

extension CalendarDate: SchemaDescribing {
    public static var jsonSchema: JSONValue {
        ["type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"]
    }
}

extension Timestamp: SchemaDescribing {
    public static var jsonSchema: JSONValue { ["type": "string", "format": "date-time"] }
}

/// API answers carry `Date`s too; the suite's coders write them as RFC 3339 text.
extension Date: SchemaDescribing {
    public static var jsonSchema: JSONValue { ["type": "string", "format": "date-time"] }
}
