extension X12Writer {
    /// The interchange as text: each segment, its terminator and `segmentSuffix`.
    public func write(_ interchange: Interchange) throws(X12Error) -> String {
        try checkSeparators()
        var out = ""
        try emit(isa(interchange), into: &out)
        for group in interchange.groups {
            try emit(gs(group, date: group.date ?? interchange.date), into: &out)
            for set in group.transactionSets {
                try check(set.controlNumber, "ST02", width: 4...9)
                var st: [X12Element] = [X12Element(set.id), X12Element(set.controlNumber)]
                if let convention = set.implementationConvention { st.append(X12Element(convention)) }
                try emit(X12Segment("ST", st), into: &out)
                for (index, segment) in set.segments.enumerated() {
                    let location = "segment \(index + 1) (\(segment.id)) of transaction set \(set.controlNumber)"
                    if ["ISA", "IEA", "GS", "GE", "ST", "SE"].contains(segment.id) {
                        throw .unwritable(
                            location: location, value: segment.id, reason: "the writer makes the envelope segments itself")
                    }
                    try emit(segment, into: &out, location: location)
                }
                // SE01 counts ST and SE themselves.
                try emit(X12Segment("SE", X12Element(String(set.segments.count + 2)), X12Element(set.controlNumber)), into: &out)
            }
            try emit(X12Segment("GE", X12Element(String(group.transactionSets.count)), X12Element(String(group.controlNumber))),
                     into: &out)
        }
        try emit(X12Segment("IEA", X12Element(String(interchange.groups.count)), X12Element(digits(interchange.controlNumber, 9))),
                 into: &out)
        return out
    }

    /// ISA01…ISA16 at their 5010 widths: 2,10,2,10,2,15,2,15,6,4,1,5,9,1,1,1.
    func isa(_ i: Interchange) throws(X12Error) -> X12Segment {
        guard let repetition = separators.repetition else {
            throw .unwritable(location: "ISA11", value: "", reason: "5010 needs a repetition separator")
        }
        guard (0...999_999_999).contains(i.controlNumber) else {
            throw .unwritable(location: "ISA13", value: String(i.controlNumber), reason: "must be 0 to 999999999")
        }
        try check(i.date)
        let d = i.date
        let fields: [(String, String, Int)] = [
            ("ISA01", i.authorization.qualifier, 2), ("ISA02", i.authorization.id, 10),
            ("ISA03", i.security.qualifier, 2), ("ISA04", i.security.id, 10),
            ("ISA05", i.sender.qualifier, 2), ("ISA06", i.sender.id, 15),
            ("ISA07", i.receiver.qualifier, 2), ("ISA08", i.receiver.id, 15),
            ("ISA09", digits(d.year % 100, 2) + digits(d.month, 2) + digits(d.day, 2), 6),
            ("ISA10", digits(d.hour, 2) + digits(d.minute, 2), 4),
            ("ISA11", String(repetition), 1), ("ISA12", "00501", 5),
            ("ISA13", digits(i.controlNumber, 9), 9), ("ISA14", i.acknowledgmentRequested ? "1" : "0", 1),
            ("ISA15", i.usage.rawValue, 1), ("ISA16", String(separators.component), 1),
        ]
        var elements: [X12Element] = []
        for (name, value, width) in fields {
            // ISA11 and ISA16 are the delimiters themselves; every other field is data.
            if name != "ISA11" && name != "ISA16" { try check(value, name, width: nil) }
            let length = value.unicodeScalars.count
            if length > width {
                throw .unwritable(location: name, value: value, reason: "longer than the \(width) characters 5010 allows")
            }
            // Qualifiers are codes of exactly two characters; ids may be padded but not empty.
            if ["ISA01", "ISA03", "ISA05", "ISA07"].contains(name) && length != 2
                || ["ISA06", "ISA08"].contains(name) && length == 0 {
                throw .unwritable(location: name, value: value, reason: length == 0 ? "required" : "must be 2 characters")
            }
            elements.append(X12Element(value + String(repeating: " ", count: width - length)))
        }
        return X12Segment("ISA", elements)
    }

    func gs(_ g: Group, date d: DateTime) throws(X12Error) -> X12Segment {
        try check(d)
        guard (1...999_999_999).contains(g.controlNumber) else {
            throw .unwritable(location: "GS06", value: String(g.controlNumber), reason: "must be 1 to 999999999")
        }
        return X12Segment(
            "GS", X12Element(g.functionalIdentifierCode), X12Element(g.applicationSenderCode),
            X12Element(g.applicationReceiverCode),
            X12Element(digits(d.year, 4) + digits(d.month, 2) + digits(d.day, 2)),
            X12Element(digits(d.hour, 2) + digits(d.minute, 2)), X12Element(String(g.controlNumber)), "X",
            X12Element(g.version))
    }

    /// Appends one segment, its terminator and the suffix; trailing empty elements and
    /// components are left out, as 5010 requires.
    func emit(_ segment: X12Segment, into out: inout String, location: String? = nil) throws(X12Error) {
        guard SegmentSplitter.isSegmentID(ArraySlice(segment.id.unicodeScalars)) else {
            throw .unwritable(location: location ?? "segment id", value: segment.id,
                              reason: "a segment id is 2–3 capital letters or digits")
        }
        let isISA = segment.id == "ISA"
        var texts: [String] = []
        for (index, element) in segment.elements.enumerated() {
            let name = segment.id + (index < 9 ? "0\(index + 1)" : "\(index + 1)")
            let place = location.map { "\(name) in \($0)" } ?? name
            var repetitions: [String] = []
            for repetition in element.repetitions {
                var components = repetition
                while components.count > 1, components.last == "" { components.removeLast() }
                for component in components where !isISA {
                    try check(component, place, width: nil)
                }
                repetitions.append(components.joined(separator: String(separators.component)))
            }
            texts.append(repetitions.joined(separator: separators.repetition.map(String.init) ?? ""))
        }
        while let last = texts.last, last.isEmpty { texts.removeLast() }
        out += ([segment.id] + texts).joined(separator: String(separators.element))
        out.unicodeScalars.append(separators.segment)
        out += segmentSuffix
    }

    /// Refuses a value holding a delimiter (it would split the element) or of the wrong length.
    func check(_ value: String, _ location: String, width: ClosedRange<Int>?) throws(X12Error) {
        if let bad = value.unicodeScalars.first(where: { separators.contains($0) }) {
            throw .unwritable(location: location, value: value,
                              reason: "it contains \(X12Error.show(bad)), one of the delimiters, and X12 has no escapes")
        }
        if let width, !width.contains(value.unicodeScalars.count) {
            throw .unwritable(location: location, value: value,
                              reason: "must be \(width.lowerBound) to \(width.upperBound) characters")
        }
    }

    func check(_ d: DateTime) throws(X12Error) {
        guard (1000...9999).contains(d.year), (1...12).contains(d.month), (1...31).contains(d.day),
              (0...23).contains(d.hour), (0...59).contains(d.minute)
        else {
            throw .unwritable(location: "ISA09/ISA10/GS04/GS05",
                              value: "\(d.year)-\(d.month)-\(d.day) \(d.hour):\(d.minute)", reason: "not a date and time")
        }
    }

    /// Distinct delimiters that cannot be mistaken for data or for ISA padding.
    func checkSeparators() throws(X12Error) {
        if let collision = separators.collision() { throw collision }
        for (name, scalar) in separators.named {
            let isSpaceOrText = ISAReader.isLetterOrDigit(scalar) || scalar == " "
            let isLineBreak = scalar == "\n" || scalar == "\r"
            if isSpaceOrText || (isLineBreak && scalar != separators.segment) {
                throw .unwritable(location: "the \(name)", value: String(scalar),
                                  reason: "a letter, digit, space or line break cannot be a delimiter")
            }
        }
        if segmentSuffix.unicodeScalars.contains(where: { $0 != "\n" && $0 != "\r" }) {
            throw .unwritable(location: "segmentSuffix", value: segmentSuffix, reason: "only line breaks may follow a terminator")
        }
    }
}

/// `n` as decimal digits, zero-padded to `width`.
func digits(_ n: Int, _ width: Int) -> String {
    let text = String(n)
    return String(repeating: "0", count: max(0, width - text.count)) + text
}
