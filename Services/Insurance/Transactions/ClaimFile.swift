import Contracts
import X12

/// The numbers and parties of one interchange sent to the clearinghouse (ISA, GS, ST).
public struct ClearinghouseEnvelope: Hashable, Sendable {
    /// ISA05/ISA06.
    public var sender: X12Writer.Party
    /// ISA07/ISA08.
    public var receiver: X12Writer.Party
    /// GS02 and GS03; most clearinghouses want the ISA ids again.
    public var applicationSenderCode: String
    public var applicationReceiverCode: String
    /// ISA13.
    public var interchangeControlNumber: Int
    /// GS06.
    public var groupControlNumber: Int
    /// ST02 of the first transaction set; each next set takes the next number.
    public var firstTransactionControlNumber: Int
    /// ISA15: test files until the clearinghouse has certified the practice.
    public var usage: X12Writer.Usage

    public init(sender: X12Writer.Party, receiver: X12Writer.Party, interchangeControlNumber: Int, groupControlNumber: Int,
                firstTransactionControlNumber: Int, usage: X12Writer.Usage, applicationSenderCode: String? = nil,
                applicationReceiverCode: String? = nil) {
        self.sender = sender
        self.receiver = receiver
        self.interchangeControlNumber = interchangeControlNumber
        self.groupControlNumber = groupControlNumber
        self.firstTransactionControlNumber = firstTransactionControlNumber
        self.usage = usage
        self.applicationSenderCode = applicationSenderCode ?? sender.id
        self.applicationReceiverCode = applicationReceiverCode ?? receiver.id
    }
}

/// Loop 1000A: who sends the claims (the practice or its billing service), and whom to call about them.
public struct ClaimSubmitter: Hashable, Sendable {
    public var name: String
    /// The submitter's ETIN at the clearinghouse (NM109, qualifier 46).
    public var id: String
    public var contactName: String
    /// Digits only are written; a leading US country code is dropped.
    public var phone: String

    public init(name: String, id: String, contactName: String, phone: String) {
        self.name = name
        self.id = id
        self.contactName = contactName
        self.phone = phone
    }
}

/// Loop 1000B: the clearinghouse that receives the file.
public struct ClaimReceiver: Hashable, Sendable {
    public var name: String
    public var id: String

    public init(name: String, id: String) {
        self.name = name
        self.id = id
    }
}

public struct ClaimFileEnvelope: Hashable, Sendable {
    public var clearinghouse: ClearinghouseEnvelope
    public var submitter: ClaimSubmitter
    public var receiver: ClaimReceiver

    public init(clearinghouse: ClearinghouseEnvelope, submitter: ClaimSubmitter, receiver: ClaimReceiver) {
        self.clearinghouse = clearinghouse
        self.submitter = submitter
        self.receiver = receiver
    }
}

/// Writes claims as one 837 interchange: one transaction set per claim, so that the clearinghouse's
/// 999 accepts or rejects each claim by its ST02; all sets in one HC functional group.
public enum ClaimFile {
    /// GS08/ST03 of the dental claim (837D).
    public static let dentalGuide = "005010X224A2"
    /// GS08/ST03 of the professional claim (837P).
    public static let professionalGuide = "005010X222A1"

    public static func guide(for kind: CoverageKind) -> String {
        kind == .dental ? dentalGuide : professionalGuide
    }

    /// The interchange text and, for each claim id, the ST02 of its transaction set.
    public static func interchange(
        claims: [Claim], kind: CoverageKind, envelope: ClaimFileEnvelope, date: X12Writer.DateTime
    ) throws(X12Error) -> (text: String, transactionControlNumbers: [String: String]) {
        guard !claims.isEmpty else {
            throw .unwritable(location: "claims", value: "", reason: "an 837 needs at least one claim")
        }
        let numbers = envelope.clearinghouse
        var sets: [X12Writer.TransactionSet] = []
        var controlNumbers: [String: String] = [:]
        for (offset, claim) in claims.enumerated() {
            guard claim.kind == kind else {
                throw .unwritable(location: "claim \(claim.claimId)", value: claim.kind.rawValue,
                                  reason: "a \(kind.rawValue) file carries only \(kind.rawValue) claims")
            }
            guard controlNumbers[claim.claimId] == nil else {
                throw .unwritable(location: "claim \(claim.claimId)", value: claim.claimId, reason: "the claim is in the file twice")
            }
            let controlNumber = claimFileControlNumber(numbers.firstTransactionControlNumber + offset)
            let segments = try ClaimSegments(claim: claim, kind: kind, envelope: envelope, date: date).all()
            sets.append(X12Writer.TransactionSet(
                id: "837", controlNumber: controlNumber, implementationConvention: guide(for: kind), segments: segments))
            controlNumbers[claim.claimId] = controlNumber
        }
        let group = X12Writer.Group(
            functionalIdentifierCode: "HC", applicationSenderCode: numbers.applicationSenderCode,
            applicationReceiverCode: numbers.applicationReceiverCode, controlNumber: numbers.groupControlNumber,
            version: guide(for: kind), transactionSets: sets)
        let interchange = X12Writer.Interchange(
            sender: numbers.sender, receiver: numbers.receiver, controlNumber: numbers.interchangeControlNumber, date: date,
            usage: numbers.usage, groups: [group])
        return (try X12Writer().write(interchange), controlNumbers)
    }
}

/// ST02: at least 4 digits (the writer refuses shorter control numbers).
func claimFileControlNumber(_ n: Int) -> String { ClaimX12Values.pad(n, 4) }
