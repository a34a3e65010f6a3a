import Contracts

/// What to estimate: planned work on one service date, for one patient, with their coverages.
public struct BenefitEstimateRequest: Sendable {
    /// Primary first, then secondary (sorted by priority; a tertiary coverage is not estimated).
    public var coverages: [CoverageUpdated]
    public var procedures: [PlannedProcedure]
    public var serviceDate: CalendarDate
    /// Procedures already done or claimed, for frequency limits.
    public var history: [EstimateHistoryItem]
    /// The payers' fee schedules: payer id → procedure code → allowed amount. Only the primary's is used.
    public var allowedFees: [String: [String: Money]]

    public init(coverages: [CoverageUpdated], procedures: [PlannedProcedure], serviceDate: CalendarDate,
                history: [EstimateHistoryItem] = [], allowedFees: [String: [String: Money]] = [:]) {
        self.coverages = coverages
        self.procedures = procedures
        self.serviceDate = serviceDate
        self.history = history
        self.allowedFees = allowedFees
    }
}

/// One coverage's part of an estimate: what it pays and what is left of its maxima afterwards, for
/// "this treatment exceeds what is left of the annual maximum" alerts.
public struct BenefitEstimatePayer: Hashable, Sendable {
    public var coverageId: String
    public var payerId: String
    public var priority: CoveragePriority
    /// What the coverage would pay for the treatment if its annual (or orthodontic) maximum were no limit.
    public var insuranceNeeded: Money
    public var insurancePays: Money
    /// `insuranceNeeded − insurancePays`: what the maxima move to the patient.
    public var maximumShortfall: Money { Money(amount: insuranceNeeded.amount - insurancePays.amount, currency: insurancePays.currency) }
    /// Nil when the plan gives no annual maximum.
    public var annualMaximumLeftBefore: Money?
    public var annualMaximumLeftAfter: Money?
    /// Nil when the plan gives no orthodontic lifetime maximum.
    public var orthoMaximumLeftAfter: Money?
    /// The individual deductible still to be met after the treatment; nil when the plan gives none.
    public var deductibleLeftAfter: Money?
}

/// The estimate: a line per procedure, in order, and the totals. For every line
/// `fee = (fee − allowed) + primaryInsurance + secondaryInsurance + patientPortion`.
public struct BenefitEstimate: Hashable, Sendable {
    public var lines: [EstimateLine]
    public var totalFee: Money
    public var totalAllowed: Money
    /// Fee minus allowed, summed: the in-network write-off, owed by nobody.
    public var writeOff: Money
    public var primaryInsurance: Money
    public var secondaryInsurance: Money
    public var insurancePortion: Money
    public var patientPortion: Money
    /// Primary first.
    public var payers: [BenefitEstimatePayer]

    /// What is left of the primary's annual maximum after this treatment (nil: no maximum known).
    public var remainingMaximum: Money? { payers.first?.annualMaximumLeftAfter }
    /// A payer would have paid more but for its annual or orthodontic maximum.
    public var exceedsRemainingMaximum: Bool { payers.contains { $0.maximumShortfall.amount > 0 } }

    /// The contract event for this estimate.
    public func calculated(estimateId: String, patientId: String, treatmentPlanId: String?, appointmentId: String?,
                           calculatedAt: Timestamp) -> EstimateCalculated {
        EstimateCalculated(estimateId: estimateId, patientId: patientId, treatmentPlanId: treatmentPlanId,
                           appointmentId: appointmentId, lines: lines, totalFee: totalFee,
                           insurancePortion: insurancePortion, patientPortion: patientPortion, calculatedAt: calculatedAt)
    }
}

/// The pure benefit estimator, after Open Dental's documented estimate behaviour. Per line, in order:
///
/// 1. allowed = min(fee, the primary's fee-schedule amount for the code) while the primary is in effect; the
///    difference is a `fee_schedule` reduction: the in-network write-off, not owed by the patient.
/// 2. For each coverage (its own running deductible, maximum and frequency counts carry to the next line):
///    no benefits on file, service before `effectiveDate` or after `terminationDate`, a dental code in no
///    category (or a 0 % one) → `not_covered`; a dental category still in its waiting period (months after
///    `effectiveDate`) → `waiting_period`; a frequency limit already used (history plus this coverage's
///    earlier lines in the estimate) → `frequency_limit`. Each of these leaves the whole base to the patient.
/// 3. Medical: the visit's co-pay first (once per estimate: one visit), from the first lines.
/// 4. The deductible, when the category's `deductibleApplies` (medical: always): at most the individual
///    deductible still to be met and the family deductible still to be met.
/// 5. The plan's percentage of the rest (medical: 100 − `coinsurancePercent`), rounded half up to the cent
///    in integer arithmetic; the other part is `coinsurance`.
/// 6. Capped by what is left of the annual maximum, or for D8xxx codes by the orthodontic lifetime maximum
///    instead when the plan gives one (`annual_maximum`, `ortho_lifetime_maximum`).
///
/// Secondary ("standard COB"): it computes what it would pay as primary on the same allowed amount (its own
/// fee schedule is not used), with its own deductible, maximum and limits, then pays no more than the
/// primary left to the patient; its maximum is charged with what it pays. Its reductions explain its
/// as-primary amount. Reductions of zero are left out.
public enum BenefitEstimator {
    public static func estimate(_ request: BenefitEstimateRequest) -> BenefitEstimate {
        let currency = request.procedures.first?.fee.currency ?? "USD"
        let ordered = request.coverages.enumerated()
            .sorted { (priorityRank($0.element.priority), $0.offset) < (priorityRank($1.element.priority), $1.offset) }
            .prefix(2).map(\.element)
        var ledgers = ordered.map { EstimatePayerLedger(coverage: $0, history: request.history, currency: currency) }
        let date = request.serviceDate
        var lines: [EstimateLine] = []
        for item in request.procedures {
            precondition(item.fee.currency == currency, "an estimate is in one currency")
            precondition(item.fee.amount >= 0, "a fee is never negative")
            let code = item.procedure.code
            let fee = item.fee.amount
            var allowed = fee
            var reductions: [EstimateReduction] = []
            if let primary = ledgers.first, primary.isInEffect(on: date),
               let scheduled = request.allowedFees[primary.payerId]?[code], scheduled.currency == currency,
               scheduled.amount < fee {
                allowed = max(0, scheduled.amount)
                reductions.append(EstimateReduction(
                    reason: .feeSchedule, amount: Money(amount: fee - allowed, currency: currency), payerId: primary.payerId,
                    explanation: "\(primary.payerName) allows \(BenefitRules.text(allowed, currency)) of the \(BenefitRules.text(fee, currency)) fee"))
            }
            var primaryPays: Int64 = 0, secondaryPays: Int64 = 0
            if !ledgers.isEmpty {
                let result = ledgers[0].adjudicate(code: code, base: allowed, limit: allowed, on: date)
                primaryPays = result.pays
                reductions += result.reductions
            }
            if ledgers.count > 1 {
                let result = ledgers[1].adjudicate(code: code, base: allowed, limit: allowed - primaryPays, on: date)
                secondaryPays = result.pays
                reductions += result.reductions
            }
            let patient = allowed - primaryPays - secondaryPays
            // Every cent accounted for: write-off + primary + secondary + patient = fee, nobody negative.
            precondition(patient >= 0 && primaryPays >= 0 && secondaryPays >= 0
                         && (fee - allowed) + primaryPays + secondaryPays + patient == fee)
            lines.append(EstimateLine(
                procedure: item.procedure, fee: item.fee, allowed: Money(amount: allowed, currency: currency),
                primaryInsurance: Money(amount: primaryPays, currency: currency),
                secondaryInsurance: Money(amount: secondaryPays, currency: currency),
                patientPortion: Money(amount: patient, currency: currency), reductions: reductions))
        }
        func sum(_ value: (EstimateLine) -> Money) -> Money {
            Money(amount: lines.reduce(0) { $0 + value($1).amount }, currency: currency)
        }
        let primary = sum(\.primaryInsurance), secondary = sum(\.secondaryInsurance)
        return BenefitEstimate(
            lines: lines, totalFee: sum(\.fee), totalAllowed: sum(\.allowed),
            writeOff: Money(amount: sum(\.fee).amount - sum(\.allowed).amount, currency: currency),
            primaryInsurance: primary, secondaryInsurance: secondary,
            insurancePortion: Money(amount: primary.amount + secondary.amount, currency: currency),
            patientPortion: sum(\.patientPortion), payers: ledgers.map(\.summary))
    }

    /// A visit without planned procedures: the patient pays the co-pay of the first coverage (by priority)
    /// in effect on the date that names one. Nil when none does: there is nothing to estimate.
    public static func visitCopay(coverages: [CoverageUpdated], on date: CalendarDate) -> Money? {
        coverages.enumerated()
            .sorted { (priorityRank($0.element.priority), $0.offset) < (priorityRank($1.element.priority), $1.offset) }
            .map(\.element)
            .first { coverage in
                coverage.effectiveDate <= date && (coverage.terminationDate.map { date <= $0 } ?? true)
                    && coverage.benefits?.copay != nil
            }?.benefits?.copay
    }

    static func priorityRank(_ priority: CoveragePriority) -> Int {
        switch priority {
        case .primary: 0
        case .secondary: 1
        case .tertiary: 2
        }
    }
}
