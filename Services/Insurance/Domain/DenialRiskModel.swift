import Contracts

/// One adjudicated claim line of the practice's history: which payer, which code, denied or not.
public struct DenialHistoryRow: Codable, Hashable, Sendable {
    public var payerId: String
    public var procedureCode: String
    public var denied: Bool

    public init(payerId: String, procedureCode: String, denied: Bool) {
        self.payerId = payerId
        self.procedureCode = procedureCode
        self.denied = denied
    }
}

/// How likely a payer is to deny a claim, from the practice's own history. Not money, so plain Double.
///
/// Each line's rate is the payer's denials of that code, smoothed toward the payer's rate for all codes, which
/// is smoothed toward the practice's rate for all payers (additive smoothing: the broader rate counts as
/// `priorWeight` claims): rate = (denied + priorWeight × broader) / (total + priorWeight). Little history thus
/// says little, and much history speaks for itself. The claim is denied if any line is:
/// risk = 1 − Π(1 − line rate).
public struct DenialRiskModel: Sendable {
    /// How many claims the broader rate is worth when a narrower one is estimated.
    public static let priorWeight = 5.0
    /// The practice's rate before it has any history: denials run about 5 % of claims in dental billing.
    public static let baselineRate = 0.05
    /// How many history reasons a risk names (open findings are all named).
    public static let maximumReasons = 3

    private let practice: DenialTally
    private let payers: [String: DenialTally]
    private let payerCodes: [String: [String: DenialTally]]

    public init(history: [DenialHistoryRow]) {
        var practice = DenialTally()
        var payers: [String: DenialTally] = [:]
        var payerCodes: [String: [String: DenialTally]] = [:]
        for row in history {
            let code = ClaimCodeFormat.normalizedProcedureCode(row.procedureCode)
            practice.add(row.denied)
            payers[row.payerId, default: DenialTally()].add(row.denied)
            payerCodes[row.payerId, default: [:]][code, default: DenialTally()].add(row.denied)
        }
        self.practice = practice
        self.payers = payers
        self.payerCodes = payerCodes
    }

    /// The smoothed chance (0–1) that the payer denies a line with this code.
    public func lineRate(payerId: String, code: String) -> Double {
        let practiceRate = practice.smoothed(toward: Self.baselineRate)
        let payerRate = (payers[payerId] ?? DenialTally()).smoothed(toward: practiceRate)
        return tally(payerId, code).smoothed(toward: payerRate)
    }

    /// The claim's risk, 0–100, with its reasons: the findings that still hold it (the payer would reject or deny
    /// it as it is), then the history behind the riskiest codes.
    /// - Parameter openFindings: the findings to name; absent, the claim's own findings that are not fixable.
    public func risk(for claim: Claim, openFindings: [ScrubFinding]? = nil) -> DenialRisk {
        let payerId = claim.payerId
        let payerName = claim.parties.coverage.payer.name.isEmpty ? payerId : claim.parties.coverage.payer.name
        var notDenied = 1.0
        var codes: [(code: String, rate: Double)] = []
        for line in claim.lines {
            let code = ClaimCodeFormat.normalizedProcedureCode(line.procedure.code)
            let rate = lineRate(payerId: payerId, code: code)
            notDenied *= 1 - rate
            if !codes.contains(where: { $0.code == code }) { codes.append((code, rate)) }
        }
        let percent = min(100, max(0, Int(((1 - notDenied) * 100).rounded())))

        var reasons = (openFindings ?? claim.findings.filter { !$0.fixable }).map { "Open finding: \($0.message)" }
        var historyReasons: [String] = []
        let riskiest = codes.sorted { ($1.rate, $0.code) < ($0.rate, $1.code) }
        for (code, _) in riskiest where historyReasons.count < Self.maximumReasons {
            let cell = tally(payerId, code)
            let payer = payers[payerId] ?? DenialTally()
            let reason: String?
            if cell.denied > 0 {
                reason = "\(payerName) denied \(cell.denied) of \(cell.total) \(code) claims"
            } else if cell.total == 0 && payer.denied > 0 {
                reason = "\(payerName) denied \(payer.denied) of \(payer.total) claims (none for \(code) yet)"
            } else if cell.total == 0 && payer.total == 0 && practice.denied > 0 {
                reason = "No history with \(payerName); payers denied \(practice.denied) of \(practice.total) of the practice's claims"
            } else {
                reason = nil
            }
            if let reason, !historyReasons.contains(reason) { historyReasons.append(reason) }
        }
        reasons += historyReasons
        return DenialRisk(percent: percent, reasons: reasons)
    }

    private func tally(_ payerId: String, _ code: String) -> DenialTally {
        payerCodes[payerId]?[code] ?? DenialTally()
    }
}

/// Denials out of claims.
struct DenialTally: Hashable, Sendable {
    var denied = 0
    var total = 0

    mutating func add(_ wasDenied: Bool) {
        total += 1
        if wasDenied { denied += 1 }
    }

    /// The rate with `DenialRiskModel.priorWeight` claims at the broader rate added: the broader rate when there
    /// is no history.
    func smoothed(toward broader: Double) -> Double {
        (Double(denied) + DenialRiskModel.priorWeight * broader) / (Double(total) + DenialRiskModel.priorWeight)
    }
}
