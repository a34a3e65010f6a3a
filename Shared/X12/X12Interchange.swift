/// One interchange, ISA to IEA, as read from a file.
public struct X12Interchange: Equatable, Sendable {
    /// The delimiters the ISA declared.
    public var separators: X12Separators
    /// The ISA with its fixed-width fields as sent (ISA06 keeps its padding).
    public var header: X12Segment
    public var functionalGroups: [X12FunctionalGroup]
    /// The IEA.
    public var trailer: X12Segment

    public init(
        separators: X12Separators, header: X12Segment, functionalGroups: [X12FunctionalGroup], trailer: X12Segment
    ) {
        self.separators = separators
        self.header = header
        self.functionalGroups = functionalGroups
        self.trailer = trailer
    }

    /// ISA05, the sender's id qualifier (ZZ, 30…).
    public var senderQualifier: String { header[5] }
    /// ISA06 without its padding.
    public var senderID: String { trimmingSpaces(header[6]) }
    /// ISA07.
    public var receiverQualifier: String { header[7] }
    /// ISA08 without its padding.
    public var receiverID: String { trimmingSpaces(header[8]) }
    /// ISA09, YYMMDD.
    public var date: String { header[9] }
    /// ISA10, HHMM.
    public var time: String { header[10] }
    /// ISA12, "00501" for 5010.
    public var versionNumber: String { header[12] }
    /// ISA13.
    public var controlNumber: String { header[13] }
    /// ISA14: whether the sender asked for a TA1.
    public var acknowledgmentRequested: Bool { header[14] == "1" }
    /// ISA15: "P" production, "T" test.
    public var usageIndicator: String { header[15] }

    /// Every transaction set of every group, in file order.
    public var transactionSets: [X12TransactionSet] { functionalGroups.flatMap(\.transactionSets) }

    /// Where the IEA is in the file (1-based).
    public var trailerPosition: Int { (functionalGroups.last?.trailerPosition ?? 1) + 1 }
}

/// One functional group, GS to GE.
public struct X12FunctionalGroup: Equatable, Sendable {
    public var header: X12Segment
    public var transactionSets: [X12TransactionSet]
    public var trailer: X12Segment
    /// Where the GS is in the file (1-based).
    public var position: Int

    public init(header: X12Segment, transactionSets: [X12TransactionSet], trailer: X12Segment, position: Int) {
        self.header = header
        self.transactionSets = transactionSets
        self.trailer = trailer
        self.position = position
    }

    /// GS01: HC for claims, HP for remittances, FA for acknowledgments…
    public var functionalIdentifierCode: String { header[1] }
    /// GS02.
    public var applicationSenderCode: String { header[2] }
    /// GS03.
    public var applicationReceiverCode: String { header[3] }
    /// GS04, CCYYMMDD.
    public var date: String { header[4] }
    /// GS05, HHMM (or longer).
    public var time: String { header[5] }
    /// GS06.
    public var controlNumber: String { header[6] }
    /// GS08, the implementation guide: "005010X222A1".
    public var version: String { header[8] }

    /// Where the GE is in the file (1-based).
    public var trailerPosition: Int { (transactionSets.last?.trailerPosition ?? position) + 1 }
}

/// One transaction set, ST to SE. `segments` are those between the two.
public struct X12TransactionSet: Equatable, Sendable {
    public var header: X12Segment
    public var segments: [X12Segment]
    public var trailer: X12Segment
    /// Where the ST is in the file (1-based).
    public var position: Int

    public init(header: X12Segment, segments: [X12Segment], trailer: X12Segment, position: Int) {
        self.header = header
        self.segments = segments
        self.trailer = trailer
        self.position = position
    }

    /// The transaction sets this module reads: ST01 values of health-care 5010.
    public static let knownIDs: Set<String> = ["270", "271", "276", "277", "278", "835", "837", "997", "999"]

    /// ST01: "837", "835"…
    public var id: String { header[1] }
    /// ST02.
    public var controlNumber: String { header[2] }
    /// ST03, the implementation guide; the 835 does not send it.
    public var implementationConvention: String? { header[3].isEmpty ? nil : header[3] }

    /// Where `segments[index]` is in the file (1-based), for messages.
    public func position(ofSegmentAt index: Int) -> Int { position + 1 + index }

    /// Where the SE is in the file (1-based).
    public var trailerPosition: Int { position + segments.count + 1 }
}

func trimmingSpaces(_ text: String) -> String {
    var scalars = Substring(text).unicodeScalars
    while scalars.last == " " { scalars.removeLast() }
    while scalars.first == " " { scalars.removeFirst() }
    return String(scalars)
}
