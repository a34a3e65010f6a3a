import Contracts
import X12

/// One CAS triple: group (CO contractual, PR patient, OA other, PI payer initiated), reason (CARC), amount, quantity.
public struct RemittanceAdjustment: Hashable, Sendable {
    public var group: String
    public var reason: String
    /// Minor units; negative when the payer gives money back (CAS*OA*94*-9.00).
    public var amount: Int64
    public var quantity: String?

    public init(group: String, reason: String, amount: Int64, quantity: String? = nil) {
        (self.group, self.reason, self.amount, self.quantity) = (group, reason, amount, quantity)
    }
}

/// 2110: one service line as the payer paid it.
public struct RemittanceServiceLine: Hashable, Sendable {
    /// SVC01: qualifier (HC, AD), procedure code and modifiers.
    public var qualifier: String
    public var code: String
    public var modifiers: [String]
    /// SVC02 charged, SVC03 paid, in minor units.
    public var charged: Int64
    public var paid: Int64
    /// DTM*472.
    public var serviceDate: CalendarDate?
    public var adjustments: [RemittanceAdjustment]
    /// LQ*HE remark codes (RARC).
    public var remarks: [String]
}

/// 2100: one claim (CLP) as the payer adjudicated it.
public struct RemittanceClaim: Hashable, Sendable {
    /// CLP01: the patient control number we sent as CLM01 — our claim id.
    public var claimId: String
    /// CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 19–23 forwarded/not ours/reversal.
    public var statusCode: String
    /// CLP03 charged, CLP04 paid, CLP05 patient responsibility (0 when not sent).
    public var charged: Int64
    public var paid: Int64
    public var patientResponsibility: Int64
    /// CLP07: the payer's claim control number.
    public var payerClaimNumber: String
    /// Claim-level CAS (before the first SVC).
    public var adjustments: [RemittanceAdjustment]
    /// MOA remark codes (MOA03–MOA07).
    public var remarks: [String]
    public var lines: [RemittanceServiceLine]

    /// A reversal of an earlier payment: its amounts stay negative as sent.
    public var isReversal: Bool { statusCode == "22" }
}

/// PLB: one provider-level adjustment (PLB03/04 … PLB13/14). A positive amount reduces the payment.
public struct RemittanceProviderAdjustment: Hashable, Sendable {
    public var providerId: String
    public var fiscalPeriodEnd: CalendarDate?
    /// Composite reason (WO, L6, CV…) and its reference (often the payer claim number).
    public var reason: String
    public var reference: String?
    public var amount: Int64
}

/// One 835 transaction set: the payment (BPR/TRN), who pays whom, each claim and the provider adjustments.
public struct Remittance: Hashable, Sendable {
    /// BPR01: I remittance with payment, H notification only, C payment without detail…
    public var handlingCode: String = ""
    /// BPR02, minor units.
    public var totalPaid: Int64 = 0
    /// BPR04: ACH, CHK, FWT, BOP, NON.
    public var paymentMethod: String = ""
    /// BPR16: payment (check issue or effective) date.
    public var paymentDate: CalendarDate?
    /// TRN02 (check or EFT trace number) and TRN03 (payer id, usually 1 + its TIN).
    public var traceNumber: String = ""
    public var traceOriginator: String = ""
    /// N1*PR: payer name and id (N104, else REF*2U).
    public var payerName: String = ""
    public var payerId: String?
    /// N1*PE: payee name, its id qualifier (XX NPI, FI TIN) and id.
    public var payeeName: String = ""
    public var payeeIdQualifier: String = ""
    public var payeeId: String = ""
    public var claims: [RemittanceClaim] = []
    public var providerAdjustments: [RemittanceProviderAdjustment] = []
    /// Amounts the reader could not read exactly (they count as 0); the balance findings repeat them.
    public var unreadable: [String] = []
    public var transactionControlNumber: String = ""
}

public enum Remittance835Reader {
    /// Reads every 835 in the file. The envelope is not validated: payers send files with small envelope flaws.
    public static func read(_ text: String) throws(X12Error) -> [Remittance] {
        let interchange = try X12Interchange.parse(text, validatingEnvelope: false)
        return interchange.transactionSets.filter { $0.id == "835" }.map(read)
    }

    public static func read(_ set: X12TransactionSet) -> Remittance {
        var r = Remittance()
        r.transactionControlNumber = set.controlNumber
        var party = ""  // N101 of the last N1, for REF*2U
        func money(_ text: String, _ what: String) -> Int64 {
            if text.isEmpty { return 0 }
            if let cents = ClearinghouseDecimal.scaled(text, digits: 2) { return cents }
            r.unreadable.append("\(what) \"\(text)\" is not an amount")
            return 0
        }
        func changeLastClaim(_ change: (inout RemittanceClaim) -> Void) {
            if let c = r.claims.indices.last { change(&r.claims[c]) }
        }
        func changeLastLine(_ change: (inout RemittanceServiceLine) -> Void) {
            if let c = r.claims.indices.last, let l = r.claims[c].lines.indices.last { change(&r.claims[c].lines[l]) }
        }
        for segment in set.segments {
            let inLine = !(r.claims.last?.lines.isEmpty ?? true)
            switch segment.id {
            case "BPR":
                r.handlingCode = segment[1]
                r.totalPaid = money(segment[2], "BPR02")
                r.paymentMethod = segment[4]
                r.paymentDate = ClearinghouseDate.calendarDate(segment[16])
            case "TRN":
                (r.traceNumber, r.traceOriginator) = (segment[2], segment[3])
            case "N1" where r.claims.isEmpty:
                party = segment[1]
                if party == "PR" {
                    r.payerName = segment[2]
                    if !segment[4].isEmpty { r.payerId = segment[4] }
                } else if party == "PE" {
                    (r.payeeName, r.payeeIdQualifier, r.payeeId) = (segment[2], segment[3], segment[4])
                }
            case "REF" where r.claims.isEmpty && party == "PR" && segment[1] == "2U" && r.payerId == nil:
                r.payerId = segment[2]
            case "CLP":
                let id = segment[1]
                r.claims.append(RemittanceClaim(
                    claimId: id, statusCode: segment[2], charged: money(segment[3], "CLP03 of claim \(id)"),
                    paid: money(segment[4], "CLP04 of claim \(id)"),
                    patientResponsibility: money(segment[5], "CLP05 of claim \(id)"), payerClaimNumber: segment[7],
                    adjustments: [], remarks: [], lines: []))
            case "CAS" where !r.claims.isEmpty:
                let where_ = "CAS of claim \(r.claims[r.claims.count - 1].claimId)"
                let triples = adjustments(segment) { money($0, where_) }
                if inLine { changeLastLine { $0.adjustments += triples } } else { changeLastClaim { $0.adjustments += triples } }
            case "MOA" where !r.claims.isEmpty:
                let codes = (3...7).map { segment[$0] }.filter { !$0.isEmpty }
                changeLastClaim { $0.remarks += codes }
            case "SVC" where !r.claims.isEmpty:
                let what = "SVC of claim \(r.claims[r.claims.count - 1].claimId)"
                let procedure = procedureParts(segment)
                let line = RemittanceServiceLine(
                    qualifier: procedure.first ?? "", code: procedure.count > 1 ? procedure[1] : "",
                    modifiers: Array(procedure.dropFirst(2)).filter { !$0.isEmpty },
                    charged: money(segment[2], what + " charged"), paid: money(segment[3], what + " paid"),
                    serviceDate: nil, adjustments: [], remarks: [])
                changeLastClaim { $0.lines.append(line) }
            case "DTM" where inLine && segment[1] == "472":
                changeLastLine { $0.serviceDate = ClearinghouseDate.calendarDate(segment[2]) }
            case "LQ" where inLine && segment[1] == "HE":
                changeLastLine { $0.remarks.append(segment[2]) }
            case "PLB":
                for position in stride(from: 3, through: 13, by: 2) where !segment[position].isEmpty {
                    let reference = segment.component(position, 2)
                    r.providerAdjustments.append(RemittanceProviderAdjustment(
                        providerId: segment[1], fiscalPeriodEnd: ClearinghouseDate.calendarDate(segment[2]),
                        reason: segment.component(position, 1), reference: reference.isEmpty ? nil : reference,
                        amount: money(segment[position + 1], "PLB\(position + 1)")))
                }
            default:
                break
            }
        }
        return r
    }

    /// Every triple of a CAS: CAS02/03/04, 05/06/07 … 17/18/19, all under the group in CAS01.
    static func adjustments(_ cas: X12Segment, money: (String) -> Int64) -> [RemittanceAdjustment] {
        stride(from: 2, through: 17, by: 3).compactMap { position in
            let reason = cas[position]
            guard !reason.isEmpty else { return nil }
            let quantity = cas[position + 2]
            return RemittanceAdjustment(group: cas[1], reason: reason, amount: money(cas[position + 1]),
                                        quantity: quantity.isEmpty ? nil : quantity)
        }
    }

    /// SVC01's components. Some payers write the composite with ">" while ISA16 says ":"; read those too.
    static func procedureParts(_ svc: X12Segment) -> [String] {
        guard let element = svc.element(1) else { return [] }
        let parts = element.repetitions[0]
        if parts.count == 1, parts[0].contains(">") {
            return parts[0].split(separator: ">", omittingEmptySubsequences: false).map(String.init)
        }
        return parts
    }
}

extension Remittance {
    /// Where the remittance does not add up, in words; empty when it balances.
    /// BPR02 = Σ CLP04 − Σ PLB; per claim CLP03 − CLP04 = Σ claim and line CAS; per line SVC02 − SVC03 = Σ line CAS.
    public var balanceFindings: [String] {
        var findings = unreadable
        let claimsPaid = claims.reduce(0) { $0 + $1.paid }
        let provider = providerAdjustments.reduce(0) { $0 + $1.amount }
        if totalPaid != claimsPaid - provider {
            findings.append("total paid \(Self.text(totalPaid)) is not claims paid \(Self.text(claimsPaid)) "
                + "less provider adjustments \(Self.text(provider))")
        }
        for claim in claims {
            let adjusted = claim.adjustments.reduce(0) { $0 + $1.amount }
                + claim.lines.reduce(0) { sum, line in sum + line.adjustments.reduce(0) { $0 + $1.amount } }
            if claim.charged - claim.paid != adjusted {
                findings.append("claim \(claim.claimId): charged \(Self.text(claim.charged)) less paid \(Self.text(claim.paid)) "
                    + "is not its adjustments \(Self.text(adjusted))")
            }
            for (index, line) in claim.lines.enumerated() {
                let lineAdjusted = line.adjustments.reduce(0) { $0 + $1.amount }
                if line.charged - line.paid != lineAdjusted {
                    findings.append("claim \(claim.claimId) line \(index + 1) (\(line.code.isEmpty ? line.qualifier : line.code)): "
                        + "charged \(Self.text(line.charged)) less paid \(Self.text(line.paid)) is not its adjustments \(Self.text(lineAdjusted))")
                }
            }
        }
        return findings
    }

    static func text(_ cents: Int64) -> String { ClearinghouseDecimal.text(cents, digits: 2) }
}
