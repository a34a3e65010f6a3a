extension X12Interchange {
    /// Reads one interchange. The delimiters come from the ISA; CR/LF after terminators and
    /// a leading BOM or whitespace are tolerated.
    ///
    /// With `validatingEnvelope` (the default) the first count, control-number or transaction-id
    /// problem is thrown; without it such files still load, and `envelopeErrors()` lists them —
    /// payers do send them, and a reader may want the content anyway.
    public static func parse(_ text: String, validatingEnvelope: Bool = true) throws(X12Error) -> X12Interchange {
        let scalars = Array(text.unicodeScalars)
        var start = 0
        while start < scalars.count, scalars[start] == "\u{FEFF}" || scalars[start].properties.isWhitespace {
            start += 1
        }
        let (header, separators) = try ISAReader.read(scalars, from: start)
        let segments = try SegmentSplitter(scalars: scalars, separators: separators).segments(from: start + 106)
        var builder = EnvelopeBuilder(header: header, separators: separators)
        for (offset, segment) in segments.enumerated() {
            try builder.add(segment, at: offset + 2)  // the ISA is segment 1
        }
        let interchange = try builder.finish(lastPosition: segments.count + 1)
        if validatingEnvelope, let first = interchange.envelopeErrors().first { throw first }
        return interchange
    }
}

/// The ISA is fixed width, which is how a reader finds the delimiters before knowing them.
enum ISAReader {
    /// ISA01…ISA15; ISA16 is the single character at offset 104 and the terminator follows it.
    static let widths = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1]

    static func read(_ s: [Unicode.Scalar], from start: Int) throws(X12Error) -> (X12Segment, X12Separators) {
        let available = s.count - start
        guard available >= 3, s[start] == "I", s[start + 1] == "S", s[start + 2] == "A" else {
            let found = s[start..<min(s.count, start + 20)].map(String.init).joined()
            throw .notX12(found: found)
        }
        guard available >= 106 else {
            throw .malformedISA(
                element: nil,
                reason: "an ISA is 106 characters (fixed-width fields and its terminator) but the text has only \(available)")
        }
        let element = s[start + 3]
        var p = start + 4
        for (index, width) in widths.enumerated() {
            let end = p + width
            if index == 10, s[p] == element, s[end] == element {  // ISA11 given as the element separator
                throw .separatorsCollide(
                    "element separator (the character after \"ISA\")", "repetition separator (ISA11)", character: element)
            }
            if s[p..<end].contains(element) || s[end] != element {
                throw fieldError(s, element: element, field: index + 1, at: p, width: width)
            }
            p = end + 1
        }
        let repetitionCode = s[start + 82]
        let separators = X12Separators(
            element: element,
            repetition: isLetterOrDigit(repetitionCode) ? nil : repetitionCode,
            component: s[start + 104],
            segment: s[start + 105])
        if separators.segment == element {
            throw .malformedISA(
                element: nil, reason: "the ISA has more than 16 elements: an element separator follows ISA16")
        }
        if let collision = separators.collision() { throw collision }
        for (name, scalar) in [("ISA16", separators.component), (nil, separators.segment)]
        where isLetterOrDigit(scalar) {
            throw .malformedISA(
                element: name,
                reason: "the \(name == nil ? "segment terminator" : "component separator") is \(X12Error.show(scalar)), "
                    + "a letter or digit; a delimiter must never appear in data")
        }
        let fields = s[start..<start + 105].split(separator: element, omittingEmptySubsequences: false)
        let header = X12Segment("ISA", fields.dropFirst().map { X12Element(String(String.UnicodeScalarView($0))) },
                                separators: separators)
        return (header, separators)
    }

    /// Says which field breaks the fixed widths and what it holds, e.g. an unpadded ISA06.
    static func fieldError(_ s: [Unicode.Scalar], element: Unicode.Scalar, field: Int, at p: Int, width: Int) -> X12Error {
        let name = field < 10 ? "ISA0\(field)" : "ISA\(field)"
        guard let next = s[p...].firstIndex(of: element) else {
            return .malformedISA(
                element: name, reason: "the ISA ends after \(field - 1) elements; 5010 requires 16 fixed-width elements")
        }
        let found = s[p..<min(next, p + 30)].map { $0 == "\n" ? "\\n" : $0 == "\r" ? "\\r" : String($0) }.joined()
        return .malformedISA(
            element: name,
            reason: "\(name) is \"\(found)\" (\(next - p) characters) but 5010 fixes it at \(width); "
                + "ISA fields are padded with spaces to their full width")
    }

    static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

/// Cuts the text after the ISA into segments and their elements.
struct SegmentSplitter {
    let scalars: [Unicode.Scalar]
    let separators: X12Separators

    func segments(from start: Int) throws(X12Error) -> [X12Segment] {
        var result: [X12Segment] = []
        var i = start
        let n = scalars.count
        while i < n {
            // Line breaks after a terminator are for people; they are not part of the next segment.
            while i < n, scalars[i] == "\r" || scalars[i] == "\n" { i += 1 }
            guard i < n else { break }
            let stop = scalars[i...].firstIndex(of: separators.segment) ?? n
            var end = stop
            while end > i, scalars[end - 1] == "\r" || scalars[end - 1] == "\n" { end -= 1 }
            let body = scalars[i..<end]
            i = stop + 1
            if body.allSatisfy(\.properties.isWhitespace) { continue }  // blank lines, trailing spaces
            result.append(try segment(body, position: result.count + 2))
        }
        return result
    }

    func segment(_ body: ArraySlice<Unicode.Scalar>, position: Int) throws(X12Error) -> X12Segment {
        let parts = body.split(separator: separators.element, omittingEmptySubsequences: false)
        let id = String(String.UnicodeScalarView(parts[0]))
        guard Self.isSegmentID(parts[0]) else {
            let shown = body.prefix(30).map(String.init).joined()
            throw .malformedSegment(
                segment: position,
                reason: "\"\(shown)\" does not start with a segment id (2–3 capital letters or digits); "
                    + "are the delimiters in the ISA the ones this file uses?")
        }
        return X12Segment(id, parts.dropFirst().map(element), separators: separators)
    }

    func element(_ raw: ArraySlice<Unicode.Scalar>) -> X12Element {
        let repetitions = separators.repetition.map { raw.split(separator: $0, omittingEmptySubsequences: false) } ?? [raw]
        return X12Element(repetitions: repetitions.map { repetition in
            repetition.split(separator: separators.component, omittingEmptySubsequences: false)
                .map { String(String.UnicodeScalarView($0)) }
        })
    }

    static func isSegmentID(_ id: ArraySlice<Unicode.Scalar>) -> Bool {
        guard (2...3).contains(id.count), let first = id.first, ("A"..."Z").contains(first) else { return false }
        return id.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}
