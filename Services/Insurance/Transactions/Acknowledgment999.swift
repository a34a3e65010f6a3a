import X12

/// A 999 (005010X231A1): for one functional group we sent, which transaction sets were accepted.
public struct Acknowledgment999: Hashable, Sendable {
    /// AK101 (HC for claims), AK102 (our GS06), AK103 (our GS08).
    public var functionalIdentifier: String
    public var groupControlNumber: String
    public var version: String
    public var transactions: [Ack999Transaction]
    /// AK901: A accepted, E accepted with errors, P partially accepted, R rejected.
    public var groupCode: String
    /// AK902–AK904.
    public var included: Int
    public var received: Int
    public var acceptedCount: Int
    /// AK905…: functional group syntax errors.
    public var groupErrors: [String]

    public var accepted: Bool { groupCode == "A" || groupCode == "E" }
}

/// AK2 … IK5: one transaction set of the group.
public struct Ack999Transaction: Hashable, Sendable {
    /// AK201 (837), AK202 (our ST02), AK203 (our ST03).
    public var setId: String
    public var controlNumber: String
    public var convention: String?
    /// IK501: A accepted, E accepted with errors, R rejected (M, W, X are rejections too).
    public var code: String
    /// IK502…IK506.
    public var syntaxErrors: [String]
    public var segmentErrors: [Ack999SegmentError]

    public var accepted: Bool { code == "A" || code == "E" }

    public init(setId: String, controlNumber: String, convention: String?, code: String, syntaxErrors: [String] = [],
                segmentErrors: [Ack999SegmentError] = []) {
        self.setId = setId
        self.controlNumber = controlNumber
        self.convention = convention
        self.code = code
        self.syntaxErrors = syntaxErrors
        self.segmentErrors = segmentErrors
    }

    /// In words, for a person: "rejected: segment CLM at 24 (loop 2300): required segment missing".
    public var summary: String {
        let verdict = accepted ? (code == "E" ? "accepted with errors" : "accepted") : "rejected"
        let reasons = syntaxErrors.map { Ack999Codes.transaction[$0] ?? "error \($0)" } + segmentErrors.map(\.description)
        return reasons.isEmpty ? verdict : verdict + ": " + reasons.joined(separator: "; ")
    }
}

/// IK3 with its IK4s.
public struct Ack999SegmentError: Hashable, Sendable, CustomStringConvertible {
    /// IK301, IK302 (the ST is 1), IK303, IK304.
    public var segmentId: String
    public var position: Int
    public var loop: String?
    public var code: String
    public var elementErrors: [Ack999ElementError]

    public init(segmentId: String, position: Int, loop: String?, code: String, elementErrors: [Ack999ElementError] = []) {
        self.segmentId = segmentId
        self.position = position
        self.loop = loop
        self.code = code
        self.elementErrors = elementErrors
    }

    public var description: String {
        var text = "segment \(segmentId) at \(position)" + (loop.map { " (loop \($0))" } ?? "")
        if !code.isEmpty { text += ": " + (Ack999Codes.segment[code] ?? "error \(code)") }
        for element in elementErrors { text += "; " + element.description }
        return text
    }
}

/// IK4: IK401 position (element, component, repetition), IK402 data element number, IK403 code, IK404 bad value.
public struct Ack999ElementError: Hashable, Sendable, CustomStringConvertible {
    public var position: Int
    public var component: Int?
    public var reference: String?
    public var code: String
    public var badValue: String?

    public init(position: Int, component: Int? = nil, reference: String? = nil, code: String, badValue: String? = nil) {
        self.position = position
        self.component = component
        self.reference = reference
        self.code = code
        self.badValue = badValue
    }

    public var description: String {
        let name = (position < 10 ? "0" : "") + String(position) + (component.map { "-\($0)" } ?? "")
        return "element \(name): " + (Ack999Codes.element[code] ?? "error \(code)") + (badValue.map { " (\"\($0)\")" } ?? "")
    }
}

/// The code lists of the 999, in words.
enum Ack999Codes {
    /// IK502 (718).
    static let transaction: [String: String] = [
        "1": "transaction set not supported", "2": "transaction set trailer missing",
        "3": "control number in header and trailer do not match", "4": "number of included segments does not match actual count",
        "5": "one or more segments in error", "6": "missing or invalid transaction set identifier",
        "7": "missing or invalid transaction set control number", "18": "transaction set not in functional group",
        "19": "invalid transaction set implementation convention reference",
        "23": "transaction set control number not unique within the functional group",
        "I5": "implementation: one or more segments in error", "I6": "implementation convention not supported",
    ]
    /// IK304 (620).
    static let segment: [String: String] = [
        "1": "unrecognized segment id", "2": "unexpected segment", "3": "required segment missing",
        "4": "loop occurs over maximum times", "5": "segment exceeds maximum use", "6": "segment not in defined transaction set",
        "7": "segment not in proper sequence", "8": "segment has data element errors",
        "I4": "implementation \"not used\" segment present", "I6": "implementation dependent segment missing",
        "I7": "implementation loop occurs under minimum times", "I8": "implementation segment below minimum use",
        "I9": "implementation dependent \"not used\" segment present",
    ]
    /// IK403 (621).
    static let element: [String: String] = [
        "1": "required data element missing", "2": "conditional required data element missing",
        "3": "too many data elements", "4": "data element too short", "5": "data element too long",
        "6": "invalid character in data element", "7": "invalid code value", "8": "invalid date", "9": "invalid time",
        "10": "exclusion condition violated", "12": "too many repetitions", "13": "too many components",
        "I6": "code value not used in implementation", "I9": "implementation dependent data element missing",
        "I10": "implementation \"not used\" data element present", "I11": "implementation too few repetitions",
        "I12": "implementation pattern match failure", "I13": "implementation dependent \"not used\" data element present",
    ]
}

/// A 999 file as read: the acknowledgments (one per ST 999) and any envelope problems.
public struct Acknowledgment999File: Equatable, Sendable {
    public var acknowledgments: [Acknowledgment999]
    public var envelopeErrors: [X12Error]
}

public enum Acknowledgment999Reader {
    public static func read(_ text: String) throws(X12Error) -> Acknowledgment999File {
        let interchange = try X12Interchange.parse(text, validatingEnvelope: false)
        let acks = interchange.transactionSets.filter { $0.id == "999" }.map(read)
        return Acknowledgment999File(acknowledgments: acks, envelopeErrors: interchange.envelopeErrors())
    }

    public static func read(_ set: X12TransactionSet) -> Acknowledgment999 {
        var ack = Acknowledgment999(
            functionalIdentifier: "", groupControlNumber: "", version: "", transactions: [], groupCode: "", included: 0,
            received: 0, acceptedCount: 0, groupErrors: [])
        func nonEmpty(_ values: [String]) -> [String] { values.filter { !$0.isEmpty } }
        for segment in set.segments {
            switch segment.id {
            case "AK1":
                (ack.functionalIdentifier, ack.groupControlNumber, ack.version) = (segment[1], segment[2], segment[3])
            case "AK2":
                ack.transactions.append(Ack999Transaction(
                    setId: segment[1], controlNumber: segment[2], convention: segment[3].isEmpty ? nil : segment[3], code: ""))
            case "IK3" where !ack.transactions.isEmpty:
                ack.transactions[ack.transactions.count - 1].segmentErrors.append(Ack999SegmentError(
                    segmentId: segment[1], position: Int(segment[2]) ?? 0, loop: segment[3].isEmpty ? nil : segment[3],
                    code: segment[4]))
            case "IK4" where !(ack.transactions.last?.segmentErrors.isEmpty ?? true):
                let error = Ack999ElementError(
                    position: Int(segment.component(1, 1)) ?? 0, component: Int(segment.component(1, 2)),
                    reference: segment[2].isEmpty ? nil : segment[2], code: segment[3],
                    badValue: segment[4].isEmpty ? nil : segment[4])
                let t = ack.transactions.count - 1
                ack.transactions[t].segmentErrors[ack.transactions[t].segmentErrors.count - 1].elementErrors.append(error)
            case "IK5" where !ack.transactions.isEmpty:
                ack.transactions[ack.transactions.count - 1].code = segment[1]
                ack.transactions[ack.transactions.count - 1].syntaxErrors = nonEmpty((2...6).map { segment[$0] })
            case "AK9":
                ack.groupCode = segment[1]
                (ack.included, ack.received, ack.acceptedCount) = (Int(segment[2]) ?? 0, Int(segment[3]) ?? 0, Int(segment[4]) ?? 0)
                ack.groupErrors = nonEmpty((5...9).map { segment[$0] })
            default:
                break
            }
        }
        return ack
    }
}

/// Writes the 999 a clearinghouse returns for an interchange it received.
public enum Acknowledgment999Writer {
    /// The 999 interchange answering `original`: sender and receiver swapped, one 999 per functional group.
    /// `results` are per transaction set in file order; a set without one is accepted.
    public static func interchange(
        answering original: X12Interchange, results: [Ack999Transaction], controlNumber: Int, date: X12Writer.DateTime
    ) -> X12Writer.Interchange {
        var remaining = results[...]
        var sets: [X12Writer.TransactionSet] = []
        for (index, group) in original.functionalGroups.enumerated() {
            let mine = Array(remaining.prefix(group.transactionSets.count))
            remaining = remaining.dropFirst(mine.count)
            sets.append(transactionSet(for: group, results: mine, controlNumber: ClaimX12Values.pad(index + 1, 4)))
        }
        let first = original.functionalGroups.first
        return X12Writer.Interchange(
            sender: X12Writer.Party(qualifier: original.receiverQualifier, id: original.receiverID),
            receiver: X12Writer.Party(qualifier: original.senderQualifier, id: original.senderID),
            controlNumber: controlNumber, date: date, usage: original.usageIndicator == "P" ? .production : .test,
            groups: [X12Writer.Group(
                functionalIdentifierCode: "FA", applicationSenderCode: first?.applicationReceiverCode ?? original.receiverID,
                applicationReceiverCode: first?.applicationSenderCode ?? original.senderID, controlNumber: controlNumber,
                version: "005010X231A1", transactionSets: sets)])
    }

    /// AK1, an AK2 loop per transaction set of `group`, AK9.
    public static func transactionSet(
        for group: X12FunctionalGroup, results: [Ack999Transaction], controlNumber: String
    ) -> X12Writer.TransactionSet {
        var segments = [X12Segment("AK1", X12Element(group.functionalIdentifierCode), X12Element(group.controlNumber),
                                   X12Element(group.version))]
        var accepted = 0
        var withErrors = false
        for (index, set) in group.transactionSets.enumerated() {
            let result = index < results.count
                ? results[index]
                : Ack999Transaction(setId: set.id, controlNumber: set.controlNumber, convention: set.implementationConvention, code: "A")
            segments.append(X12Segment("AK2", X12Element(set.id), X12Element(set.controlNumber),
                                       X12Element(set.implementationConvention ?? "")))
            for error in result.segmentErrors {
                segments.append(X12Segment("IK3", X12Element(error.segmentId), X12Element(String(error.position)),
                                           X12Element(error.loop ?? ""), X12Element(error.code)))
                for element in error.elementErrors {
                    let position = [String(element.position)] + (element.component.map { [String($0)] } ?? [])
                    let bad = element.badValue.flatMap { $0.contains(where: { "*:^~".contains($0) }) ? nil : $0 } ?? ""
                    segments.append(X12Segment("IK4", X12Element(components: position), X12Element(element.reference ?? ""),
                                               X12Element(element.code), X12Element(bad)))
                }
            }
            segments.append(X12Segment("IK5", [X12Element(result.code)] + result.syntaxErrors.prefix(5).map { X12Element($0) }))
            if result.accepted { accepted += 1 }
            if result.code == "E" { withErrors = true }
        }
        let count = group.transactionSets.count
        let code = accepted == 0 ? "R" : accepted < count ? "P" : withErrors ? "E" : "A"
        let included = Int(group.trailer[1]) ?? count
        segments.append(X12Segment("AK9", X12Element(code), X12Element(String(included)), X12Element(String(count)),
                                   X12Element(String(accepted))))
        return X12Writer.TransactionSet(id: "999", controlNumber: controlNumber, implementationConvention: "005010X231A1",
                                        segments: segments)
    }
}
