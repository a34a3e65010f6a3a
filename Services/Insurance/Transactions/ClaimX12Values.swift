import Contracts
import X12

/// How the clinic's values are written in an outbound 837 or 270.
enum ClaimX12Values {
    /// CCYYMMDD.
    static func date(_ d: CalendarDate) -> String {
        pad(d.year, 4) + pad(d.month, 2) + pad(d.day, 2)
    }

    /// CCYYMMDD and HHMM of the moment the file is written (BHT04/BHT05).
    static func date(_ d: X12Writer.DateTime) -> String { pad(d.year, 4) + pad(d.month, 2) + pad(d.day, 2) }
    static func time(_ d: X12Writer.DateTime) -> String { pad(d.hour, 2) + pad(d.minute, 2) }

    /// A decimal amount from minor units, without trailing zeros: 18500 → "185", 18550 → "185.5".
    static func amount(_ money: Money) -> String {
        let places = Currency.minorUnitDigits[money.currency] ?? 2
        let sign = money.amount < 0 ? "-" : ""
        var scale: Int64 = 1
        for _ in 0..<places { scale *= 10 }
        let magnitude = money.amount.magnitude
        let whole = magnitude / UInt64(scale)
        var fraction = places == 0 ? "" : pad(Int(magnitude % UInt64(scale)), places)
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// DMG03.
    static func sex(_ sex: Sex?) -> String {
        switch sex {
        case .female: "F"
        case .male: "M"
        case .unknown, nil: "U"
        }
    }

    /// SBR01.
    static func payerSequence(_ priority: CoveragePriority) -> String {
        switch priority {
        case .primary: "P"
        case .secondary: "S"
        case .tertiary: "T"
        }
    }

    /// PAT01 (837) for a patient who is not the subscriber: 01 spouse, 19 child, G8 other.
    static func patientRelationship(_ relationship: SubscriberRelationship) -> String {
        switch relationship {
        case .spouse: "01"
        case .child: "19"
        case .self, .other: "G8"
        }
    }

    /// PER04: the digits of a US number, without a leading country code.
    static func phone(_ text: String) -> String {
        var digits = String(text.unicodeScalars.filter { ("0"..."9").contains($0) }.map(Character.init))
        if digits.count == 11 && digits.hasPrefix("1") { digits.removeFirst() }
        return digits
    }

    /// ICD-10-CM codes are written without the dot.
    static func diagnosis(_ code: String) -> String { String(code.filter { $0 != "." }) }

    /// N3 and N4 of an address; N404 only outside the US.
    static func address(_ address: PostalAddress, _ location: String) throws(X12Error) -> [X12Segment] {
        guard let first = address.lines.first, !first.isEmpty else {
            throw .unwritable(location: "\(location) N301", value: "", reason: "an address needs a street line")
        }
        let second = address.lines.count > 1 ? [address.lines[1]] : []
        let n3 = X12Segment("N3", ([first] + second).map { X12Element($0) })
        let postal = String(address.postalCode.filter { $0 != "-" && $0 != " " })
        var n4: [String] = [address.city, address.region, postal]
        if !address.country.isEmpty && address.country != "US" { n4.append(address.country) }
        return [n3, X12Segment("N4", n4.map { X12Element($0) })]
    }

    /// NM1 of a person: NM103 family, NM104 given, then the id and its qualifier when there is one.
    static func person(_ entity: String, _ name: PersonName, qualifier: String? = nil, id: String? = nil) -> X12Segment {
        var elements: [String] = [entity, "1", name.family, name.given]
        if let qualifier, let id { elements += ["", "", "", qualifier, id] }
        return X12Segment("NM1", elements.map { X12Element($0) })
    }

    /// NM1 of an organisation: NM103 its name, NM108/NM109 its id.
    static func organisation(_ entity: String, _ name: String, qualifier: String, id: String) -> X12Segment {
        X12Segment("NM1", [entity, "2", name, "", "", "", "", qualifier, id].map { X12Element($0) })
    }

    static func segment(_ id: String, _ values: String...) -> X12Segment {
        X12Segment(id, values.map { X12Element($0) })
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
