import Contracts
import X12

/// One claim of a 277CA (loop 2200D): accepted into the payer's system or rejected, and why.
public struct ClaimAcknowledgment: Hashable, Sendable {
    /// TRN02 of 2200D: the CLM01 we sent.
    public var claimId: String
    /// 2100D NM1*QC and its member id (NM109).
    public var patient: PersonName?
    public var memberId: String
    /// 2100C NM1*85.
    public var billingNpi: String
    public var billingName: String
    public var reports: [ClaimStatusReport]
    /// REF*1K: the payer's claim number; REF*D9: the clearinghouse's trace number.
    public var payerClaimNumber: String?
    public var clearinghouseTrace: String?
    /// DTP*472 (the first date of a range).
    public var serviceDate: CalendarDate?
    /// STC04 of the first status: the total the payer read.
    public var total: Int64?
    public var lines: [ClaimLineAcknowledgment]

    public init(claimId: String, patient: PersonName?, memberId: String, billingNpi: String, billingName: String,
                reports: [ClaimStatusReport], payerClaimNumber: String? = nil, clearinghouseTrace: String? = nil,
                serviceDate: CalendarDate?, total: Int64?, lines: [ClaimLineAcknowledgment] = []) {
        self.claimId = claimId
        self.patient = patient
        self.memberId = memberId
        self.billingNpi = billingNpi
        self.billingName = billingName
        self.reports = reports
        self.payerClaimNumber = payerClaimNumber
        self.clearinghouseTrace = clearinghouseTrace
        self.serviceDate = serviceDate
        self.total = total
        self.lines = lines
    }

    /// Rejected when any status of the claim or of a line rejects it.
    public var accepted: Bool {
        !reports.isEmpty && !(reports + lines.flatMap(\.reports)).contains(where: \.rejects)
    }

    /// The rejections as findings a person (or a rule) can act on: the claim's own, else its lines'
    /// (a claim-level status usually repeats what its 2220D lines say).
    public var findings: [ClaimFinding] {
        let own = reports.filter(\.rejects).map { $0.finding(line: nil) }
        return own.isEmpty ? lines.flatMap { line in line.reports.filter(\.rejects).map { $0.finding(line: line) } } : own
    }
}

/// 2220D: one service line the payer reports on (usually because it rejects it).
public struct ClaimLineAcknowledgment: Hashable, Sendable {
    /// SVC01-1 (HC, AD) and SVC01-2, SVC02 in minor units.
    public var qualifier: String
    public var code: String
    public var amount: Int64?
    /// REF*FJ, the line item control number we sent.
    public var lineControl: String?
    public var serviceDate: CalendarDate?
    public var reports: [ClaimStatusReport]

    public init(qualifier: String, code: String, amount: Int64?, lineControl: String? = nil, serviceDate: CalendarDate?,
                reports: [ClaimStatusReport]) {
        self.qualifier = qualifier
        self.code = code
        self.amount = amount
        self.lineControl = lineControl
        self.serviceDate = serviceDate
        self.reports = reports
    }
}

/// One STC: up to three status codes (STC01, STC10, STC11) with an action, an amount and a free-text message.
public struct ClaimStatusReport: Hashable, Sendable {
    public var statuses: [ClaimStatusCode]
    /// STC03: WQ accepted, U rejected.
    public var action: String?
    public var amount: Int64?
    /// STC12. Our clearinghouse writes "[2010BA NM109] words; expected W123456".
    public var message: String?

    public init(statuses: [ClaimStatusCode], action: String?, amount: Int64?, message: String? = nil) {
        self.statuses = statuses
        self.action = action
        self.amount = amount
        self.message = message
    }

    public var rejects: Bool { action == "U" || statuses.contains(where: \.rejects) }

    /// Where in the claim the problem is: the message's "[…]" prefix, or what the status code names.
    public var location: String? {
        if let message, message.hasPrefix("["), let end = message.firstIndex(of: "]") {
            return String(message[message.index(after: message.startIndex)..<end])
        }
        return statuses.lazy.compactMap(\.location).first
    }

    /// The value the payer expected, from "; expected VALUE" at the end of the message.
    public var hint: String? {
        guard let message, let range = message.ranges(of: "; expected ").last else { return nil }
        return String(message[range.upperBound...])
    }

    func finding(line: ClaimLineAcknowledgment?) -> ClaimFinding {
        let codes = Set(statuses.map(\.code))
        let code = if !codes.isDisjoint(with: ["29", "30", "32", "33", "97"])
            || (codes.contains("164") && statuses.contains { ["IL", "QC"].contains($0.entity ?? "") }) {
            hint == nil ? "member_not_found" : "member_id_format"
        } else if codes.contains("562") {
            "npi_invalid"
        } else if codes.contains("244") {
            "tooth_missing"
        } else {
            "payer_" + (statuses.first.map { "\($0.category)_\($0.code)" } ?? "rejected")
        }
        var words = statuses.map(\.description).joined(separator: "; ")
        if let line { words = "line \(line.code): " + words }
        if let message {
            let text = message.hasPrefix("[") ? String(message[(message.firstIndex(of: "]").map(message.index(after:)) ?? message.startIndex)...]) : message
            words += " — " + text.trimmingPrefix(" ")
        }
        return ClaimFinding(code: code, message: words, location: location)
    }
}

/// STC01 (or STC10/STC11): category (507), status (508), entity (98).
public struct ClaimStatusCode: Hashable, Sendable, CustomStringConvertible {
    public var category: String
    public var code: String
    public var entity: String?

    public init(category: String, code: String, entity: String? = nil) {
        self.category = category
        self.code = code
        self.entity = entity
    }

    /// A3 returned as unprocessable, A4 not found, A6 missing information, A7 invalid information, A8 relational error.
    public var rejects: Bool { ["A3", "A4", "A6", "A7", "A8"].contains(category) }

    public var description: String {
        let category = Self.categories[category] ?? "category \(category)"
        let status = Self.codes[code] ?? "status \(code)"
        let entity = entity.map { " (" + (Self.entities[$0] ?? "entity \($0)") + ")" } ?? ""
        return "\(category): \(status)\(entity)"
    }

    /// Where a status points in the 837, for the codes our rules act on.
    var location: String? {
        switch (code, entity) {
        case ("29", _), ("30", _), ("32", _), ("33", _), ("164", "IL"): "2010BA NM109"
        case ("164", "QC"): "2010CA NM1"
        case ("562", "85"): "2010AA NM109"
        case ("562", "82"): "2310B NM109"
        case ("244", _): "2400 TOO02"
        case ("454", _): "2400 SV301"
        case ("400", _), ("178", _): "2300 CLM02"
        default: nil
        }
    }

    static let categories: [String: String] = [
        "A0": "forwarded", "A1": "received", "A2": "accepted into adjudication", "A3": "returned as unprocessable",
        "A4": "not found", "A5": "split", "A6": "rejected for missing information", "A7": "rejected for invalid information",
        "A8": "rejected for relational field in error",
    ]
    /// Health care claim status codes (508) that acknowledgments use most.
    static let codes: [String: String] = [
        "0": "cannot provide further status electronically", "19": "entity acknowledges receipt of claim",
        "20": "accepted for processing", "21": "missing or invalid information", "26": "entity not found",
        "29": "subscriber and policy number mismatched", "30": "subscriber and subscriber id mismatched",
        "32": "subscriber and policy number not found", "33": "subscriber and subscriber id not found",
        "97": "patient eligibility not found with entity", "116": "claim submitted to incorrect payer",
        "145": "entity's specialty/taxonomy code", "164": "entity's contract/member number",
        "178": "submitted charges", "187": "date(s) of service", "244": "tooth number or letter",
        "255": "diagnosis code", "400": "claim is out of balance", "454": "procedure code for services rendered",
        "464": "payer assigned claim control number", "562": "entity's National Provider Identifier (NPI)",
    ]
    /// Entity identifier codes (98).
    static let entities: [String: String] = [
        "IL": "subscriber", "QC": "patient", "85": "billing provider", "82": "rendering provider", "PR": "payer",
        "AY": "clearinghouse", "41": "submitter", "40": "receiver", "77": "service location",
    ]
}

/// A 277CA as read: the batch's trace and each claim.
public struct ClaimAcknowledgmentFile: Equatable, Sendable {
    /// 2100A NM103: the payer or clearinghouse that answered.
    public var sourceName: String
    /// TRN02 of 2200B: the submitter's batch id (our 837's BHT03).
    public var batchTrace: String?
    public var claims: [ClaimAcknowledgment]
    public var envelopeErrors: [X12Error]
}

public enum ClaimAcknowledgment277Reader {
    public static func read(_ text: String) throws(X12Error) -> ClaimAcknowledgmentFile {
        let interchange = try X12Interchange.parse(text, validatingEnvelope: false)
        var file = ClaimAcknowledgmentFile(sourceName: "", batchTrace: nil, claims: [], envelopeErrors: interchange.envelopeErrors())
        for set in interchange.transactionSets where set.id == "277" {
            read(set, into: &file)
        }
        return file
    }

    /// Walks the HL levels: 20 source, 21 receiver, 19 billing provider, PT patient with its claims (2200D,
    /// each opened by TRN) and their lines (2220D, each opened by SVC).
    static func read(_ set: X12TransactionSet, into file: inout ClaimAcknowledgmentFile) {
        var billing = (npi: "", name: "")
        for level in set.hierarchicalLevels {
            var patient: PersonName?, memberId = ""
            var claims: [ClaimAcknowledgment] = []
            for segment in level.segments.dropFirst() {
                switch (level.levelCode, segment.id) {
                case ("20", "NM1"): file.sourceName = segment[3]
                case ("21", "TRN"): file.batchTrace = segment[2]
                case ("19", "NM1"): billing = (segment[9], segment[3])
                case ("PT", "NM1"): (patient, memberId) = (ClaimFileReader.personName(segment), segment[9])
                case ("PT", "TRN"):
                    claims.append(ClaimAcknowledgment(
                        claimId: segment[2], patient: patient, memberId: memberId, billingNpi: billing.npi,
                        billingName: billing.name, reports: [], serviceDate: nil, total: nil))
                case ("PT", "SVC") where !claims.isEmpty:
                    claims[claims.count - 1].lines.append(ClaimLineAcknowledgment(
                        qualifier: segment.component(1, 1), code: segment.component(1, 2),
                        amount: ClearinghouseDecimal.scaled(segment[2], digits: 2), serviceDate: nil, reports: []))
                case ("PT", "STC") where !claims.isEmpty:
                    let report = statusReport(segment)
                    if claims[claims.count - 1].lines.isEmpty {
                        if claims[claims.count - 1].reports.isEmpty { claims[claims.count - 1].total = report.amount }
                        claims[claims.count - 1].reports.append(report)
                    } else {
                        changeLastLine(&claims) { $0.reports.append(report) }
                    }
                case ("PT", "REF") where !claims.isEmpty:
                    switch segment[1] {
                    case "1K": claims[claims.count - 1].payerClaimNumber = segment[2]
                    case "D9": claims[claims.count - 1].clearinghouseTrace = segment[2]
                    case "FJ": changeLastLine(&claims) { $0.lineControl = segment[2] }
                    default: break
                    }
                case ("PT", "DTP") where !claims.isEmpty && segment[1] == "472":
                    let date = ClearinghouseDate.calendarDate(segment[3])
                    if claims[claims.count - 1].lines.isEmpty {
                        claims[claims.count - 1].serviceDate = date
                    } else {
                        changeLastLine(&claims) { $0.serviceDate = date }
                    }
                default:
                    break
                }
            }
            file.claims += claims
        }
    }

    private static func changeLastLine(_ claims: inout [ClaimAcknowledgment], _ change: (inout ClaimLineAcknowledgment) -> Void) {
        guard let c = claims.indices.last, let l = claims[c].lines.indices.last else { return }
        change(&claims[c].lines[l])
    }

    static func statusReport(_ stc: X12Segment) -> ClaimStatusReport {
        let statuses = [1, 10, 11].compactMap { position -> ClaimStatusCode? in
            let category = stc.component(position, 1), code = stc.component(position, 2), entity = stc.component(position, 3)
            return category.isEmpty && code.isEmpty ? nil : ClaimStatusCode(category: category, code: code, entity: entity.isEmpty ? nil : entity)
        }
        return ClaimStatusReport(
            statuses: statuses, action: stc[3].isEmpty ? nil : stc[3],
            amount: ClearinghouseDecimal.scaled(stc[4], digits: 2), message: stc[12].isEmpty ? nil : stc[12])
    }
}

/// Writes a 277CA (005010X214) for claims a clearinghouse received in one batch.
public enum ClaimAcknowledgment277Writer {
    public struct Batch: Sendable {
        /// 2100A: who answers (NM101 AY clearinghouse or PR payer) and its ETIN (NM108 46).
        public var sourceIsPayer: Bool
        public var sourceName: String
        public var sourceId: String
        /// 2100B: the submitter (the 837's NM1*41), with its ETIN.
        public var receiverName: String
        public var receiverId: String
        /// TRN02 of 2200B: the submitter's batch id (the 837's BHT03); BHT03 of the 277CA.
        public var batchTrace: String
        public var received: CalendarDate
        public var processed: CalendarDate
        /// BHT05, HHMM.
        public var time: String
        public var claims: [ClaimAcknowledgment]

        public init(sourceIsPayer: Bool, sourceName: String, sourceId: String, receiverName: String, receiverId: String,
                    batchTrace: String, received: CalendarDate, processed: CalendarDate, time: String,
                    claims: [ClaimAcknowledgment]) {
            (self.sourceIsPayer, self.sourceName, self.sourceId) = (sourceIsPayer, sourceName, sourceId)
            (self.receiverName, self.receiverId, self.batchTrace) = (receiverName, receiverId, batchTrace)
            (self.received, self.processed, self.time, self.claims) = (received, processed, time, claims)
        }
    }

    /// 2000A source, 2000B receiver with batch totals, one 2000C per billing provider with its totals, one 2000D
    /// per claim with TRN, STC, REF*1K (accepted), DTP*472 and a 2220D per line with its own status.
    public static func segments(_ batch: Batch) -> [X12Segment] {
        let date = ClearinghouseDate.text(batch.processed)
        let source = batch.sourceIsPayer ? "PR" : "AY"
        var out: [X12Segment] = [
            seg("BHT", "0085", "08", batch.batchTrace, date, batch.time, "TH"),
            seg("HL", "1", "", "20", "1"), seg("NM1", source, "2", batch.sourceName, "", "", "", "", "46", batch.sourceId),
            seg("TRN", "1", batch.batchTrace), seg("DTP", "050", "D8", ClearinghouseDate.text(batch.received)),
            seg("DTP", "009", "D8", date),
            seg("HL", "2", "1", "21", "1"), seg("NM1", "41", "2", batch.receiverName, "", "", "", "", "46", batch.receiverId),
            seg("TRN", "2", batch.batchTrace),
            X12Segment("STC", [.composite("A1", "19", source), X12Element(date), "WQ", X12Element(money(total(batch.claims)))]),
        ]
        out += counts(batch.claims, quantity: ("90", "AA"))
        var hl = 2
        var providers: [String] = []
        for claim in batch.claims where !providers.contains(claim.billingNpi) { providers.append(claim.billingNpi) }
        for npi in providers {
            let claims = batch.claims.filter { $0.billingNpi == npi }
            hl += 1
            let providerHL = hl
            out += [
                seg("HL", String(providerHL), "2", "19", "1"),
                seg("NM1", "85", "2", claims[0].billingName, "", "", "", "", "XX", npi), seg("TRN", "1", npi),
                X12Segment("STC", [.composite("A1", "19", "PR"), "", "WQ", X12Element(money(total(claims)))]),
            ]
            out += counts(claims, quantity: ("QA", "QC"))
            for claim in claims {
                hl += 1
                out += patient(claim, hl: hl, parent: providerHL, date: date, fallbackDate: batch.received)
            }
        }
        return out
    }

    static func patient(_ claim: ClaimAcknowledgment, hl: Int, parent: Int, date: String, fallbackDate: CalendarDate) -> [X12Segment] {
        let name = claim.patient ?? PersonName(given: "", family: "UNKNOWN")
        var out = [
            seg("HL", String(hl), String(parent), "PT"),
            seg("NM1", "QC", "1", name.family.isEmpty ? "UNKNOWN" : name.family, name.given, "", "", "", "MI",
                claim.memberId.isEmpty ? "UNKNOWN" : claim.memberId),
            seg("TRN", "2", claim.claimId),
        ]
        for report in claim.reports { out.append(stc(report, date: date, amount: report.amount ?? claim.total ?? 0)) }
        if claim.accepted, let number = claim.payerClaimNumber { out.append(seg("REF", "1K", number)) }
        if let trace = claim.clearinghouseTrace { out.append(seg("REF", "D9", trace)) }
        out.append(seg("DTP", "472", "D8", ClearinghouseDate.text(claim.serviceDate ?? fallbackDate)))
        for line in claim.lines {
            out.append(X12Segment("SVC", [.composite(line.qualifier, line.code), X12Element(money(line.amount ?? 0))]))
            // 2220D STC has no amount (STC04 not used).
            for report in line.reports { out.append(stc(report, date: date, amount: nil)) }
            if let control = line.lineControl { out.append(seg("REF", "FJ", control)) }
            if let day = line.serviceDate { out.append(seg("DTP", "472", "D8", ClearinghouseDate.text(day))) }
        }
        return out
    }

    static func stc(_ report: ClaimStatusReport, date: String, amount: Int64?) -> X12Segment {
        func composite(_ code: ClaimStatusCode?) -> X12Element {
            guard let code else { return "" }
            return X12Element(components: [code.category, code.code] + (code.entity.map { [$0] } ?? []))
        }
        let s = report.statuses
        var elements: [X12Element] = [composite(s.first), X12Element(date), X12Element(report.action ?? (report.rejects ? "U" : "WQ")),
                                      X12Element(amount.map(money) ?? "")]
        if s.count > 1 || report.message != nil {
            elements += Array(repeating: "", count: 5) + [composite(s.count > 1 ? s[1] : nil), composite(s.count > 2 ? s[2] : nil)]
            if let message = report.message { elements.append(X12Element(String(message.prefix(264)))) }
        }
        return X12Segment("STC", elements)
    }

    /// QTY/AMT of accepted and rejected claims; zero counts are left out.
    static func counts(_ claims: [ClaimAcknowledgment], quantity: (accepted: String, rejected: String)) -> [X12Segment] {
        let accepted = claims.filter(\.accepted), rejected = claims.filter { !$0.accepted }
        var out: [X12Segment] = []
        if !accepted.isEmpty { out.append(seg("QTY", quantity.accepted, String(accepted.count))) }
        if !rejected.isEmpty { out.append(seg("QTY", quantity.rejected, String(rejected.count))) }
        if !accepted.isEmpty { out.append(seg("AMT", "YU", money(total(accepted)))) }
        if !rejected.isEmpty { out.append(seg("AMT", "YY", money(total(rejected)))) }
        return out
    }

    static func total(_ claims: [ClaimAcknowledgment]) -> Int64 { claims.reduce(0) { $0 + ($1.total ?? 0) } }
    static func money(_ cents: Int64) -> String { ClearinghouseDecimal.text(cents, digits: 2) }
    static func seg(_ id: String, _ values: String...) -> X12Segment { X12Segment(id, values.map { X12Element($0) }) }
}
