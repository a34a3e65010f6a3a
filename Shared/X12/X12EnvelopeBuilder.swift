/// Nests segments into groups and transaction sets, refusing what the envelope does not allow.
struct EnvelopeBuilder {
    let header: X12Segment
    let separators: X12Separators
    private var groups: [X12FunctionalGroup] = []
    private var group: (header: X12Segment, position: Int, sets: [X12TransactionSet])?
    private var set: (header: X12Segment, position: Int, segments: [X12Segment])?
    private var trailer: X12Segment?

    init(header: X12Segment, separators: X12Separators) {
        self.header = header
        self.separators = separators
    }

    mutating func add(_ segment: X12Segment, at position: Int) throws(X12Error) {
        func refuse(_ reason: String) -> X12Error { .unexpectedSegment(segment: position, id: segment.id, reason: reason) }
        if trailer != nil {
            throw refuse("it follows the IEA; a text holds one interchange and nothing after it")
        }
        switch segment.id {
        case "ISA":
            throw refuse("a second ISA before the IEA of the first")
        case "GS":
            if let set { throw refuse("the transaction set at segment \(set.position) has no SE before this GS") }
            if let group { throw refuse("the functional group at segment \(group.position) has no GE before this GS") }
            group = (segment, position, [])
        case "ST":
            if let set { throw refuse("the transaction set at segment \(set.position) has no SE before this ST") }
            guard group != nil else { throw refuse("ST outside a functional group: no GS before it") }
            set = (segment, position, [])
        case "SE":
            guard let open = set else { throw refuse("SE without an ST before it") }
            group?.sets.append(
                X12TransactionSet(header: open.header, segments: open.segments, trailer: segment, position: open.position))
            set = nil
        case "GE":
            if let set { throw refuse("the transaction set at segment \(set.position) has no SE before this GE") }
            guard let open = group else { throw refuse("GE without a GS before it") }
            groups.append(
                X12FunctionalGroup(header: open.header, transactionSets: open.sets, trailer: segment, position: open.position))
            group = nil
        case "IEA":
            if let set { throw refuse("the transaction set at segment \(set.position) has no SE before this IEA") }
            if let group { throw refuse("the functional group at segment \(group.position) has no GE before this IEA") }
            trailer = segment
        default:
            guard set != nil else { throw refuse("\(segment.id) is outside a transaction set (between ST and SE)") }
            set?.segments.append(segment)
        }
    }

    func finish(lastPosition: Int) throws(X12Error) -> X12Interchange {
        if let set {
            throw .missingSegment(
                id: "SE", afterSegment: lastPosition, reason: "the text ends inside the transaction set at segment \(set.position)")
        }
        if let group {
            throw .missingSegment(
                id: "GE", afterSegment: lastPosition, reason: "the text ends inside the functional group at segment \(group.position)")
        }
        guard let trailer else {
            throw .missingSegment(id: "IEA", afterSegment: lastPosition, reason: "the text ends without closing the interchange")
        }
        return X12Interchange(separators: separators, header: header, functionalGroups: groups, trailer: trailer)
    }
}
