import Contracts
import X12

/// A member as the simulated payer's member book knows them.
public struct SimulatedMember: Codable, Hashable, Sendable {
    /// The id as the book holds it (upper case, no spaces or dashes, as payers print it).
    public var memberId: String
    public var name: PersonName
    public var dateOfBirth: CalendarDate?
    public var active: Bool
    public var kind: CoverageKind
    public var planName: String?
    public var benefits: PlanBenefits

    public init(memberId: String, name: PersonName, dateOfBirth: CalendarDate? = nil, active: Bool = true,
                kind: CoverageKind = .dental, planName: String? = nil, benefits: PlanBenefits) {
        self.memberId = memberId
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.active = active
        self.kind = kind
        self.planName = planName
        self.benefits = benefits
    }
}

/// A clearinghouse and its payers, in memory and pure: given an interchange we send, the files they send back.
/// An 837 gets a 999 (syntax) and, per accepted transaction set, a 277CA (each claim accepted with a payer claim
/// number, or rejected: unknown member, NPI check digit, missing tooth, total that does not add up). A 270 gets a
/// 271. Any other transaction set gets a 999 rejecting it. Text that is not X12 gets nothing.
public enum ClearinghouseSimulator {
    /// Answers are numbered from `firstControlNumber` (ISA13 and GS06), one per file, in the order returned.
    public static func answer(
        to interchangeText: String, members: (_ payerId: String, _ memberId: String) -> SimulatedMember?,
        firstControlNumber: Int, date: X12Writer.DateTime
    ) -> [String] {
        guard let original = try? X12Interchange.parse(interchangeText, validatingEnvelope: false) else { return [] }
        var control = firstControlNumber
        var files: [String] = []
        func emit(_ interchange: X12Writer.Interchange) {
            if let text = try? X12Writer().write(interchange) {
                files.append(text)
                control += 1
            }
        }
        let sets = original.transactionSets
        if sets.contains(where: { $0.id == "270" }) {
            emit(eligibilityAnswers(original, members: members, controlNumber: control, date: date))
            return files
        }
        let results = sets.map(ClearinghouseSyntax.check)
        emit(Acknowledgment999Writer.interchange(answering: original, results: results, controlNumber: control, date: date))
        for (set, result) in zip(sets, results) where set.id == "837" && result.accepted {
            let batch = claimBatch(set, in: original, members: members, date: date)
            let written = X12Writer.TransactionSet(
                id: "277", controlNumber: "0001", implementationConvention: "005010X214",
                segments: ClaimAcknowledgment277Writer.segments(batch))
            emit(envelope(original, group: "HN", version: "005010X214", sets: [written], controlNumber: control, date: date))
        }
        return files
    }

    /// The 277CA content for one 837 set: its claims, each checked against the member book and the rules above.
    static func claimBatch(
        _ set: X12TransactionSet, in original: X12Interchange, members: (String, String) -> SimulatedMember?,
        date: X12Writer.DateTime
    ) -> ClaimAcknowledgment277Writer.Batch {
        let today = CalendarDate(year: date.year, month: date.month, day: date.day) ?? CalendarDate(year: 2000, month: 1, day: 1)!
        let submitter = set.segments.first { $0.id == "NM1" && $0[1] == "41" }
        let receiver = set.segments.first { $0.id == "NM1" && $0[1] == "40" }
        var acks: [ClaimAcknowledgment] = []
        for (index, claim) in ClaimFileReader.claims(in: set).enumerated() {
            var ack = ClaimAcknowledgment(
                claimId: claim.claimId, patient: claim.patient, memberId: claim.memberId, billingNpi: claim.billingNpi,
                billingName: claim.billingName, reports: [], serviceDate: claim.serviceDate ?? claim.lines.first?.serviceDate,
                total: claim.total)
            for problem in ClaimProblems.find(claim, members: members) {
                ack.reports.append(ClaimStatusReport(statuses: problem.statuses, action: "U", amount: claim.total, message: problem.message))
                if let line = problem.line {
                    ack.lines.append(ClaimLineAcknowledgment(
                        qualifier: line.qualifier.isEmpty ? "AD" : line.qualifier, code: line.code, amount: line.amount,
                        serviceDate: line.serviceDate, reports: [ClaimStatusReport(statuses: problem.statuses, action: "U", amount: nil)]))
                }
            }
            if ack.reports.isEmpty {
                ack.reports = [ClaimStatusReport(statuses: [ClaimStatusCode(category: "A2", code: "20")], action: "WQ", amount: claim.total)]
                ack.payerClaimNumber = payerClaimNumber(date: date, interchange: original.controlNumber, claim: index + 1)
            }
            acks.append(ack)
        }
        return ClaimAcknowledgment277Writer.Batch(
            sourceIsPayer: false, sourceName: nonEmpty(receiver?[3], "CLEARINGHOUSE"), sourceId: nonEmpty(receiver?[9], original.receiverID),
            receiverName: nonEmpty(submitter?[3], "SUBMITTER"), receiverId: nonEmpty(submitter?[9], original.senderID),
            batchTrace: nonEmpty(set.segments.first { $0.id == "BHT" }?[3], set.controlNumber), received: today, processed: today,
            time: ClaimX12Values.time(date), claims: acks)
    }

    /// "PCN" + YYMMDD + the 837's ISA13 + the claim's place in the set: the same input gives the same number.
    static func payerClaimNumber(date: X12Writer.DateTime, interchange: String, claim: Int) -> String {
        let day = ClaimX12Values.date(date).dropFirst(2)  // YYMMDD
        return "PCN" + day + interchange + ClaimX12Values.pad(claim, 3)
    }

    /// One 271 set per 270 set, in one HB group.
    static func eligibilityAnswers(
        _ original: X12Interchange, members: (String, String) -> SimulatedMember?, controlNumber: Int, date: X12Writer.DateTime
    ) -> X12Writer.Interchange {
        let today = CalendarDate(year: date.year, month: date.month, day: date.day) ?? CalendarDate(year: 2000, month: 1, day: 1)!
        var sets: [X12Writer.TransactionSet] = []
        for inquiry in original.transactionSets where inquiry.id == "270" {
            let payer = inquiry.segments.first { $0.id == "NM1" && $0[1] == "PR" }?[9] ?? ""
            let asked = inquiry.segments.first { $0.id == "NM1" && $0[1] == "IL" }?[9] ?? ""
            let normalised = RejectionRules.normalisedMemberId(asked)
            let member = members(payer, asked)
            let known = member == nil && !asked.isEmpty && normalised != asked && members(payer, normalised) != nil
            let segments = EligibilityAnswer.segments(
                answering: inquiry, member: member, normalisedIdKnown: known, date: today,
                time: ClaimX12Values.time(date))
            sets.append(X12Writer.TransactionSet(
                id: "271", controlNumber: ClaimX12Values.pad(sets.count + 1, 4), implementationConvention: "005010X279A1",
                segments: segments))
        }
        return envelope(original, group: "HB", version: "005010X279A1", sets: sets, controlNumber: controlNumber, date: date)
    }

    /// An interchange back to whoever sent `original`.
    static func envelope(
        _ original: X12Interchange, group: String, version: String, sets: [X12Writer.TransactionSet], controlNumber: Int,
        date: X12Writer.DateTime
    ) -> X12Writer.Interchange {
        let first = original.functionalGroups.first
        return X12Writer.Interchange(
            sender: X12Writer.Party(qualifier: original.receiverQualifier, id: original.receiverID),
            receiver: X12Writer.Party(qualifier: original.senderQualifier, id: original.senderID),
            controlNumber: controlNumber, date: date, usage: original.usageIndicator == "P" ? .production : .test,
            groups: [X12Writer.Group(
                functionalIdentifierCode: group, applicationSenderCode: first?.applicationReceiverCode ?? original.receiverID,
                applicationReceiverCode: first?.applicationSenderCode ?? original.senderID, controlNumber: controlNumber,
                version: version, transactionSets: sets)])
    }

    static func nonEmpty(_ value: String?, _ fallback: String) -> String {
        guard let value, !value.isEmpty else { return fallback }
        return value
    }
}

/// What the simulated payer rejects a claim for, each as a 277CA status with our "[location] words" message.
enum ClaimProblems {
    struct Problem {
        var statuses: [ClaimStatusCode]
        var message: String
        /// The line the status is about, reported again in 2220D.
        var line: ClaimFileLine?
    }

    static func find(_ claim: ClaimFileClaim, members: (String, String) -> SimulatedMember?) -> [Problem] {
        var problems: [Problem] = []
        if members(claim.payerId, claim.memberId) == nil {
            var message = "[2010BA NM109] subscriber id not found (\(claim.memberId))"
            let normalised = RejectionRules.normalisedMemberId(claim.memberId)
            if normalised != claim.memberId, let member = members(claim.payerId, normalised) {
                message += "; expected \(member.memberId)"
            }
            problems.append(Problem(statuses: [ClaimStatusCode(category: "A3", code: "33", entity: "IL")], message: clean(message)))
        }
        if !NPI.isValid(claim.billingNpi) {
            problems.append(Problem(
                statuses: [ClaimStatusCode(category: "A7", code: "562", entity: "85")],
                message: clean("[2010AA NM109] billing provider NPI (\(claim.billingNpi)) fails the check digit")))
        }
        for npi in claim.renderingNpis where !NPI.isValid(npi) {
            problems.append(Problem(
                statuses: [ClaimStatusCode(category: "A7", code: "562", entity: "82")],
                message: clean("[2310B NM109] rendering provider NPI (\(npi)) fails the check digit")))
        }
        for line in claim.lines where claim.kind == .dental && line.teeth.isEmpty && needsTooth(line.code) {
            problems.append(Problem(
                statuses: [ClaimStatusCode(category: "A7", code: "244")],
                message: clean("[2400 TOO02] line \(line.number) \(line.code) needs a tooth number"), line: line))
        }
        if let total = claim.total, let lines = claim.linesTotal, total != lines {
            problems.append(Problem(
                statuses: [ClaimStatusCode(category: "A7", code: "400")],
                message: "[2300 CLM02] total \(ClearinghouseDecimal.text(total, digits: 2)) is not the sum of the lines "
                    + ClearinghouseDecimal.text(lines, digits: 2)))
        }
        return problems
    }

    /// Restorations, endodontics and extractions are on a tooth: D2xxx, D3xxx, D7xxx.
    static func needsTooth(_ code: String) -> Bool {
        let scalars = Array(code.unicodeScalars)
        return scalars.count == 5 && scalars[0] == "D" && ["2", "3", "7"].contains(scalars[1])
            && scalars.dropFirst().allSatisfy { ("0"..."9").contains($0) }
    }

    /// STC12 may not hold a delimiter.
    static func clean(_ text: String) -> String { String(text.map { "*:^~|".contains($0) ? " " : $0 }) }
}

/// The syntax checks of the simulated 999: envelope counts, the segments every 837 needs, amounts.
enum ClearinghouseSyntax {
    static func check(_ set: X12TransactionSet) -> Ack999Transaction {
        var result = Ack999Transaction(setId: set.id, controlNumber: set.controlNumber, convention: set.implementationConvention, code: "A")
        guard set.id == "837" else {
            result.code = "R"
            result.syntaxErrors = ["1"]
            return result
        }
        if Int(set.trailer[1]) != set.segments.count + 2 { result.syntaxErrors.append("4") }
        if set.trailer[2] != set.controlNumber { result.syntaxErrors.append("3") }
        let segments = set.segments
        let end = segments.count + 2  // the SE's position, ST being 1
        if segments.first?.id != "BHT" { result.segmentErrors.append(Ack999SegmentError(segmentId: "BHT", position: 2, loop: nil, code: "3")) }
        let required: [(id: String, qualifier: String, loop: String)] = [
            ("NM1", "41", "1000A"), ("NM1", "40", "1000B"), ("HL", "20", "2000A"), ("NM1", "85", "2010AA"),
            ("HL", "22", "2000B"), ("SBR", "", "2000B"), ("NM1", "IL", "2010BA"), ("NM1", "PR", "2010BB"), ("CLM", "", "2300"),
        ]
        for need in required where !segments.contains(where: { segment in
            segment.id == need.id && (need.qualifier.isEmpty || segment[need.id == "HL" ? 3 : 1] == need.qualifier)
        }) {
            result.segmentErrors.append(Ack999SegmentError(segmentId: need.id, position: end, loop: need.loop, code: "3"))
        }
        var claimAt: Int?
        var claimHasLine = false
        func closeClaim() {
            if let at = claimAt, !claimHasLine {
                result.segmentErrors.append(Ack999SegmentError(segmentId: "LX", position: at + 2, loop: "2400", code: "3"))
            }
        }
        for (index, segment) in segments.enumerated() {
            switch segment.id {
            case "CLM", "HL":
                closeClaim()
                claimAt = segment.id == "CLM" ? index : nil
                claimHasLine = false
                if segment.id == "CLM" { checkAmount(segment, index: index, loop: "2300", into: &result) }
            case "SV1", "SV3":
                claimHasLine = true
                checkAmount(segment, index: index, loop: "2400", into: &result)
            default:
                break
            }
        }
        closeClaim()
        if !result.segmentErrors.isEmpty { result.syntaxErrors.append("5") }
        if !result.syntaxErrors.isEmpty { result.code = "R" }
        return result
    }

    /// Element 02 of CLM, SV1 and SV3 is an amount (data element 782).
    static func checkAmount(_ segment: X12Segment, index: Int, loop: String, into result: inout Ack999Transaction) {
        let value = segment[2]
        let code = value.isEmpty ? "1" : ClearinghouseDecimal.scaled(value, digits: 2) == nil ? "6" : nil
        guard let code else { return }
        result.segmentErrors.append(Ack999SegmentError(
            segmentId: segment.id, position: index + 2, loop: loop, code: "8",
            elementErrors: [Ack999ElementError(position: 2, reference: "782", code: code, badValue: value.isEmpty ? nil : value)]))
    }
}
