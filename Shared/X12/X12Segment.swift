/// One element of a segment. Most elements are a single value; a composite (SV101 `HC:99213`)
/// has components, and a repeatable element (EB03 `1^33^35`) has repetitions.
public struct X12Element: Hashable, Sendable, ExpressibleByStringLiteral {
    /// Each repetition is a list of components; a simple value is `[[value]]`. Never empty.
    public private(set) var repetitions: [[String]]

    public init(_ value: String) { repetitions = [[value]] }
    public init(stringLiteral value: String) { self.init(value) }
    public init(components: [String]) { self.init(repetitions: [components]) }
    public init(repetitions: [[String]]) {
        let kept = repetitions.map { $0.isEmpty ? [""] : $0 }
        self.repetitions = kept.isEmpty ? [[""]] : kept
    }

    /// A composite element: `.composite("HC", "99213")` is SV101.
    public static func composite(_ components: String...) -> X12Element { X12Element(components: components) }

    /// The first component of the first repetition: the whole value of a simple element.
    public var value: String { repetitions[0][0] }

    /// Nothing in it: X12 leaves such an element out at the end of a segment.
    public var isEmpty: Bool { repetitions.allSatisfy { $0.allSatisfy(\.isEmpty) } }

    /// The element as it appears in a file written with `separators`.
    public func text(_ separators: X12Separators) -> String {
        let component = String(separators.component)
        let repetition = separators.repetition.map(String.init) ?? ""
        return repetitions.map { $0.joined(separator: component) }.joined(separator: repetition)
    }
}

/// A segment: its id (CLM) and its elements. Positions are 1-based as in the implementation
/// guides, so CLM01 is `segment[1]`; a position past the end reads as "" because X12 drops
/// trailing empty elements.
public struct X12Segment: Hashable, Sendable, CustomStringConvertible {
    public var id: String
    /// `elements[0]` is element 01.
    public var elements: [X12Element]
    /// Used only to show composite and repeated elements as text; two segments with the same
    /// data are equal whatever delimiters they were read with.
    public var separators: X12Separators

    public init(_ id: String, _ elements: [X12Element], separators: X12Separators = .standard) {
        self.id = id
        self.elements = elements
        self.separators = separators
    }

    public init(_ id: String, _ elements: X12Element...) { self.init(id, elements) }

    /// Element `position` as text (components and repetitions joined with this segment's
    /// delimiters); 0 is the segment id.
    public subscript(position: Int) -> String {
        if position == 0 { return id }
        return element(position)?.text(separators) ?? ""
    }

    /// Element `position` (1-based), or nil past the end.
    public func element(_ position: Int) -> X12Element? {
        position >= 1 && position <= elements.count ? elements[position - 1] : nil
    }

    /// Component `component` of element `position`, all 1-based: `component(1, 2)` of
    /// `SV1*HC:99213` is "99213". Missing positions read as "".
    public func component(_ position: Int, _ component: Int, repetition: Int = 1) -> String {
        guard let element = element(position), repetition >= 1, repetition <= element.repetitions.count
        else { return "" }
        let components = element.repetitions[repetition - 1]
        return component >= 1 && component <= components.count ? components[component - 1] : ""
    }

    /// The repetitions of element `position` as text; [] when the element is absent or empty.
    public func repetitions(_ position: Int) -> [String] {
        guard let element = element(position), !element.isEmpty else { return [] }
        let component = String(separators.component)
        return element.repetitions.map { $0.joined(separator: component) }
    }

    /// The segment as written, without its terminator.
    public var description: String {
        ([id] + elements.map { $0.text(separators) }).joined(separator: String(separators.element))
    }

    public static func == (lhs: X12Segment, rhs: X12Segment) -> Bool {
        lhs.id == rhs.id && lhs.elements == rhs.elements
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(elements)
    }
}
