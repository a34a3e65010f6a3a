import Contracts
import X12

/// Who asks the payer (loop 2100B): the practice (its type 2 NPI) or one provider (type 1).
public enum EligibilityReceiver: Equatable, Sendable {
    case practice(PracticeUpdated)
    case provider(ProviderUpdated)
}

/// One patient's eligibility question.
public struct EligibilityRequest: Equatable, Sendable {
    public var coverage: CoverageUpdated
    public var patient: PatientFacts
    public var receiver: EligibilityReceiver
    /// TRN02: our id for the question; the 271 returns it.
    public var traceNumber: String
    /// Nine characters; TRN03 is "9" (assigned by us) followed by it.
    public var originatorId: String
    /// EQ01: "35" dental care, "30" health benefit plan coverage.
    public var serviceTypeCodes: [String]
    /// DTP*291: the day the patient will be seen.
    public var dateOfService: CalendarDate

    public init(coverage: CoverageUpdated, patient: PatientFacts, receiver: EligibilityReceiver, traceNumber: String,
                originatorId: String, serviceTypeCodes: [String]? = nil, dateOfService: CalendarDate) {
        self.coverage = coverage
        self.patient = patient
        self.receiver = receiver
        self.traceNumber = traceNumber
        self.originatorId = originatorId
        self.serviceTypeCodes = serviceTypeCodes ?? EligibilityInquiry.serviceTypes(for: coverage.kind ?? .dental)
        self.dateOfService = dateOfService
    }
}

/// Writes a 270 (005010X279A1) for one patient: payer (2000A), information receiver (2000B),
/// subscriber (2000C) and, when the patient is not the policy holder, dependent (2000D).
public enum EligibilityInquiry {
    public static let guide = "005010X279A1"

    public static func serviceTypes(for kind: CoverageKind) -> [String] { kind == .dental ? ["35"] : ["30"] }

    /// The interchange text and the ST02 of its one transaction set.
    public static func interchange(
        _ request: EligibilityRequest, envelope: ClearinghouseEnvelope, date: X12Writer.DateTime
    ) throws(X12Error) -> (text: String, transactionControlNumber: String) {
        let controlNumber = claimFileControlNumber(envelope.firstTransactionControlNumber)
        let set = X12Writer.TransactionSet(
            id: "270", controlNumber: controlNumber, implementationConvention: guide, segments: try segments(request, date: date))
        let group = X12Writer.Group(
            functionalIdentifierCode: "HS", applicationSenderCode: envelope.applicationSenderCode,
            applicationReceiverCode: envelope.applicationReceiverCode, controlNumber: envelope.groupControlNumber,
            version: guide, transactionSets: [set])
        let interchange = X12Writer.Interchange(
            sender: envelope.sender, receiver: envelope.receiver, controlNumber: envelope.interchangeControlNumber, date: date,
            usage: envelope.usage, groups: [group])
        return (try X12Writer().write(interchange), controlNumber)
    }

    static func segments(_ request: EligibilityRequest, date: X12Writer.DateTime) throws(X12Error) -> [X12Segment] {
        typealias V = ClaimX12Values
        let coverage = request.coverage, patient = request.patient
        guard request.originatorId.unicodeScalars.count == 9 else {
            throw .unwritable(location: "270 TRN03", value: request.originatorId, reason: "the originator id must be 9 characters")
        }
        guard !request.serviceTypeCodes.isEmpty else {
            throw .unwritable(location: "270 EQ01", value: "", reason: "ask about at least one service type")
        }
        var out = [
            V.segment("BHT", "0022", "13", request.traceNumber, V.date(date), V.time(date)),
            V.segment("HL", "1", "", "20", "1"),
            V.organisation("PR", coverage.payer.name, qualifier: "PI", id: coverage.payer.payerId),
            V.segment("HL", "2", "1", "21", "1"),
        ]
        switch request.receiver {
        case .practice(let practice): out.append(V.organisation("1P", practice.name, qualifier: "XX", id: practice.billingNpi))
        case .provider(let provider): out.append(V.person("1P", provider.name, qualifier: "XX", id: provider.npi))
        }
        // The patient's own loop carries the trace, the demographics and the question.
        let question: [X12Segment] = [
            V.segment("DTP", "291", "D8", V.date(request.dateOfService)),
            X12Segment("EQ", [X12Element(repetitions: request.serviceTypeCodes.map { [$0] })]),
        ]
        let trace = V.segment("TRN", "1", request.traceNumber, "9" + request.originatorId)
        guard let patientName = patient.name else {
            throw .unwritable(location: "270 patient name", value: patient.patientId, reason: "the patient has no name")
        }
        if coverage.subscriberRelationship == .self {
            out += [V.segment("HL", "3", "2", "22", "0"), trace, V.person("IL", patientName, qualifier: "MI", id: coverage.memberId)]
            out += demographics(patient.dateOfBirth, patient.sex) + question
        } else {
            guard let holder = coverage.subscriber else {
                throw .unwritable(location: "270 subscriber", value: "", reason: "the patient is not the policy holder, and the coverage names none")
            }
            out += [V.segment("HL", "3", "2", "22", "1"), V.person("IL", holder.name, qualifier: "MI", id: coverage.memberId)]
            out += demographics(holder.dateOfBirth, holder.sex)
            out += [V.segment("HL", "4", "3", "23", "0"), trace, V.person("03", patientName)]
            out += demographics(patient.dateOfBirth, patient.sex) + question
        }
        return out
    }

    /// DMG when the date of birth is known; the 270 has no code for an unknown sex, so DMG03 is then left out.
    static func demographics(_ birth: CalendarDate?, _ sex: Sex?) -> [X12Segment] {
        guard let birth else { return [] }
        var values = ["D8", ClaimX12Values.date(birth)]
        if sex == .female || sex == .male { values.append(ClaimX12Values.sex(sex)) }
        return [X12Segment("DMG", values.map { X12Element($0) })]
    }
}
