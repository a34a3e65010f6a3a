extension X12TransactionSet {
    /// The segments with id `id`, in order: `segments(withID: "CLM")`.
    public func segments(withID id: String) -> [X12Segment] { segments.filter { $0.id == id } }

    /// Loops that begin with a segment `start` and run up to (not including) the next `start` or
    /// any id in `endingBefore`: `loops(startingWith: "CLM", endingBefore: ["HL"])` is each claim
    /// with its lines. Slices keep their indices in `segments`, so `position(ofSegmentAt:)` works.
    public func loops(startingWith start: String, endingBefore ends: Set<String> = []) -> [ArraySlice<X12Segment>] {
        var loops: [ArraySlice<X12Segment>] = []
        var open: Int?
        for (index, segment) in segments.enumerated() where segment.id == start || ends.contains(segment.id) {
            if let begin = open { loops.append(segments[begin..<index]) }
            open = segment.id == start ? index : nil
        }
        if let begin = open { loops.append(segments[begin...]) }
        return loops
    }

    /// The HL loops: each HL with the segments up to the next HL.
    public var hierarchicalLevels: [X12HierarchicalLevel] {
        loops(startingWith: "HL").map(X12HierarchicalLevel.init)
    }
}

/// One HL loop: the HL segment first, then what belongs to that level.
public struct X12HierarchicalLevel: Equatable, Sendable {
    public var segments: ArraySlice<X12Segment>

    public init(segments: ArraySlice<X12Segment>) { self.segments = segments }

    private var hl: X12Segment { segments.first ?? X12Segment("HL", []) }
    /// HL01.
    public var id: String { hl[1] }
    /// HL02; nil at the top.
    public var parentID: String? { hl[2].isEmpty ? nil : hl[2] }
    /// HL03: 20 source, 21 receiver, 22 subscriber, 23 dependent…
    public var levelCode: String { hl[3] }
    /// HL04 "1": levels below this one follow.
    public var hasChildren: Bool { hl[4] == "1" }
}
