/// Writes an interchange from typed pieces: the caller gives the parties, control numbers and
/// the segments of each transaction set; the writer makes ISA/GS/ST/SE/GE/IEA, counts SE01,
/// GE01 and IEA01, and pads the ISA to its fixed widths. X12 has no escapes, so a value that
/// contains a delimiter is refused rather than written.
public struct X12Writer: Sendable {
    public var separators: X12Separators
    /// Written after each segment terminator, for people reading the file; "" for one line.
    public var segmentSuffix: String

    public init(separators: X12Separators = .standard, segmentSuffix: String = "\n") {
        self.separators = separators
        self.segmentSuffix = segmentSuffix
    }

    /// An id and its qualifier: ISA05/ISA06 for the sender, ISA07/ISA08 for the receiver.
    public struct Party: Hashable, Sendable {
        public var qualifier: String
        public var id: String
        public init(qualifier: String, id: String) {
            self.qualifier = qualifier
            self.id = id
        }
    }

    /// A local date and time, as the envelope carries them (no zone).
    public struct DateTime: Hashable, Sendable {
        public var year, month, day, hour, minute: Int
        public init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
            (self.year, self.month, self.day, self.hour, self.minute) = (year, month, day, hour, minute)
        }
    }

    /// ISA15.
    public enum Usage: String, Sendable {
        case production = "P"
        case test = "T"
    }

    public struct Interchange: Sendable {
        public var sender: Party
        public var receiver: Party
        /// ISA13, written as 9 digits.
        public var controlNumber: Int
        /// ISA09/ISA10, and GS04/GS05 of groups that give no date of their own.
        public var date: DateTime
        public var usage: Usage
        /// ISA14: ask the receiver for a TA1.
        public var acknowledgmentRequested: Bool
        /// ISA01/ISA02 and ISA03/ISA04; "00" and blanks when unused, as they almost always are.
        public var authorization: Party
        public var security: Party
        public var groups: [Group]

        public init(
            sender: Party, receiver: Party, controlNumber: Int, date: DateTime, usage: Usage,
            acknowledgmentRequested: Bool = false, authorization: Party = Party(qualifier: "00", id: ""),
            security: Party = Party(qualifier: "00", id: ""), groups: [Group]
        ) {
            self.sender = sender
            self.receiver = receiver
            self.controlNumber = controlNumber
            self.date = date
            self.usage = usage
            self.acknowledgmentRequested = acknowledgmentRequested
            self.authorization = authorization
            self.security = security
            self.groups = groups
        }
    }

    public struct Group: Sendable {
        /// GS01: HC claims, HS/HB eligibility, HR/HN claim status, HP remittance, FA acknowledgment.
        public var functionalIdentifierCode: String
        /// GS02.
        public var applicationSenderCode: String
        /// GS03.
        public var applicationReceiverCode: String
        /// GS06.
        public var controlNumber: Int
        /// GS08: "005010X222A1".
        public var version: String
        /// GS04/GS05; nil takes the interchange's.
        public var date: DateTime?
        public var transactionSets: [TransactionSet]

        public init(
            functionalIdentifierCode: String, applicationSenderCode: String, applicationReceiverCode: String,
            controlNumber: Int, version: String, date: DateTime? = nil, transactionSets: [TransactionSet]
        ) {
            self.functionalIdentifierCode = functionalIdentifierCode
            self.applicationSenderCode = applicationSenderCode
            self.applicationReceiverCode = applicationReceiverCode
            self.controlNumber = controlNumber
            self.version = version
            self.date = date
            self.transactionSets = transactionSets
        }
    }

    public struct TransactionSet: Sendable {
        /// ST01: "837".
        public var id: String
        /// ST02, 4 to 9 characters; SE02 repeats it.
        public var controlNumber: String
        /// ST03; nil leaves it out (the 835 does not use it).
        public var implementationConvention: String?
        /// The segments between ST and SE.
        public var segments: [X12Segment]

        public init(id: String, controlNumber: String, implementationConvention: String? = nil, segments: [X12Segment]) {
            self.id = id
            self.controlNumber = controlNumber
            self.implementationConvention = implementationConvention
            self.segments = segments
        }
    }
}
