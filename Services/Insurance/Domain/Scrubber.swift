import Contracts

/// A procedure the patient already had claimed, for the plan's frequency limits ("two cleanings a year").
public struct PriorClaimedService: Codable, Hashable, Sendable {
    public var code: String
    public var serviceDate: CalendarDate
    /// The charge it was claimed for: a line of the claim being scrubbed (a resubmission) is not its own history.
    public var chargeId: String?

    public init(code: String, serviceDate: CalendarDate, chargeId: String? = nil) {
        self.code = code
        self.serviceDate = serviceDate
        self.chargeId = chargeId
    }
}

/// What the scrubber found: the claim with every fixable finding applied, and all the findings.
public struct ScrubResult: Equatable, Sendable {
    /// The claim as it should go out; its status, findings and history are left as they were.
    public var fixed: Claim
    /// Every finding of every rule: fixable ones (already applied to `fixed`) and the ones that hold the claim.
    public var findings: [ScrubFinding]

    /// The findings a person must resolve before the claim can go out.
    public var holding: [ScrubFinding] { findings.filter { !$0.fixable } }
    public var isClean: Bool { holding.isEmpty }
}

/// Checks a claim before it goes to the payer. Pure: every rule runs every time, in the same order, and the same
/// claim, day and history give the same findings.
public enum Scrubber {
    /// - Parameters:
    ///   - today: the clinic's day, for service dates in the future and the filing limit.
    ///   - timelyFilingDays: how many days after the service the payer still accepts a claim.
    ///   - history: the patient's claimed services, for the coverage's frequency limits.
    public static func scrub(_ claim: Claim, today: CalendarDate, timelyFilingDays: Int,
                             history: [PriorClaimedService] = []) -> ScrubResult {
        var fixed = claim
        var findings = ScrubFixes.apply(to: &fixed)
        findings += ScrubLineRules.check(fixed)
        findings += ScrubPartyRules.check(fixed)
        findings += dates(fixed, today: today, timelyFilingDays: timelyFilingDays)
        findings += frequency(fixed, history: history)
        return ScrubResult(fixed: fixed, findings: findings)
    }

    /// Service dates: not in the future, within the payer's filing limit, inside the coverage. A predetermination
    /// is for planned work, so its dates are not checked.
    static func dates(_ claim: Claim, today: CalendarDate, timelyFilingDays: Int) -> [ScrubFinding] {
        guard !claim.predetermination else { return [] }
        let coverage = claim.parties.coverage
        var findings: [ScrubFinding] = []
        for (index, line) in claim.lines.enumerated() {
            let at = "lines[\(index)].serviceDate"
            let date = line.serviceDate
            let age = ClaimCalendar.days(from: date, to: today)
            if date > today {
                findings.append(ScrubLineRules.hold("service_date_future",
                                                    "\(ScrubLineRules.name(line)) is dated \(date), after today (\(today))", at: at))
            } else if age > timelyFilingDays {
                findings.append(ScrubLineRules.hold("timely_filing",
                                                    "\(ScrubLineRules.name(line)) was done on \(date), \(age) days ago: past \(coverage.payer.name)'s filing limit of \(timelyFilingDays) days",
                                                    at: at))
            }
            if date < coverage.effectiveDate || coverage.terminationDate.map({ date > $0 }) == true {
                let until = coverage.terminationDate.map { " to \($0)" } ?? ""
                findings.append(ScrubLineRules.hold("coverage_inactive",
                                                    "\(ScrubLineRules.name(line)) on \(date) is outside the coverage (\(coverage.effectiveDate)\(until))",
                                                    at: at))
            }
        }
        return findings
    }

    /// The plan's frequency limits: a line over a limit holds the claim, because the payer would deny it.
    /// Counted: the history (less this claim's own charges) and the earlier lines of this claim that are within
    /// the limit. A yearly limit counts the benefit year of the line; a limit over N months counts any N-month
    /// window around the line (a service exactly N months later is allowed).
    static func frequency(_ claim: Claim, history: [PriorClaimedService]) -> [ScrubFinding] {
        let coverage = claim.parties.coverage
        guard let limits = coverage.benefits?.frequencyLimits, !limits.isEmpty else { return [] }
        let ownCharges = Set(claim.lines.map(\.chargeId))
        let prior = history.filter { $0.chargeId.map { !ownCharges.contains($0) } ?? true }
        let order = claim.lines.indices.sorted {
            (ClaimCalendar.dayNumber(claim.lines[$0].serviceDate), $0) < (ClaimCalendar.dayNumber(claim.lines[$1].serviceDate), $1)
        }
        var findings: [(index: Int, finding: ScrubFinding)] = []
        for limit in limits where limit.times >= 0 {
            var counted = prior.filter { ClaimCodeFormat.matches($0.code, limit.codes) }.map(\.serviceDate)
            for index in order where ClaimCodeFormat.matches(claim.lines[index].procedure.code, limit.codes) {
                let line = claim.lines[index]
                let others = crowdingDates(around: line.serviceDate, among: counted, limit: limit,
                                           startMonth: coverage.planYearStartMonth)
                guard others.count >= limit.times else {
                    counted.append(line.serviceDate)
                    continue
                }
                let period = limit.periodMonths.map { "\($0) months" } ?? "benefit year"
                let already = others.isEmpty ? "" : " (already claimed: \(others.map(\.description).joined(separator: ", ")))"
                let message = "\(ScrubLineRules.name(line)) on \(line.serviceDate) is over the plan's limit of \(limit.times) per \(period) for \(limit.codes.joined(separator: ", "))\(already): \(coverage.payer.name) would deny it"
                findings.append((index, ScrubLineRules.hold("frequency_limit", message, at: "lines[\(index)].procedure.code")))
            }
        }
        return findings.sorted { $0.index < $1.index }.map(\.finding)
    }

    /// The counted dates that share a limit period with `date`: the most crowded window that contains it.
    private static func crowdingDates(around date: CalendarDate, among counted: [CalendarDate], limit: FrequencyLimit,
                                      startMonth: Int?) -> [CalendarDate] {
        guard let months = limit.periodMonths, months > 0 else {
            let start = ClaimCalendar.benefitYearStart(of: date, startMonth: startMonth)
            let end = ClaimCalendar.adding(months: 12, to: start)
            return counted.filter { $0 >= start && $0 < end }.sorted()
        }
        // Any window that holds the most services can start at one of them, so only those starts are tried.
        var best: [CalendarDate] = []
        for start in counted + [date] where start <= date {
            let end = ClaimCalendar.adding(months: months, to: start)
            guard end > date else { continue }
            let inside = counted.filter { $0 >= start && $0 < end }.sorted()
            if inside.count > best.count { best = inside }
        }
        return best
    }
}

/// The scrubber's fixable findings: spelling a person did not mean (case, spaces, the ICD-10 dot, repeated
/// surfaces) and a total that does not add up. Each fix is applied and reported.
enum ScrubFixes {
    static func apply(to claim: inout Claim) -> [ScrubFinding] {
        var findings: [ScrubFinding] = []
        func fixed(_ code: String, _ message: String, _ location: String) {
            findings.append(ScrubFinding(code: code, message: message, location: location, fixable: true))
        }
        for index in claim.lines.indices {
            var procedure = claim.lines[index].procedure
            let at = "lines[\(index)]"
            let code = ClaimCodeFormat.normalizedProcedureCode(procedure.code)
            if code != procedure.code {
                fixed("code_normalized", "The code '\(procedure.code)' is written \(code)", "\(at).procedure.code")
                procedure.code = code
            }
            if let tooth = procedure.tooth {
                let clean = ToothChart.normalized(tooth)
                if clean != tooth || clean.isEmpty {
                    fixed("tooth_normalized", clean.isEmpty ? "An empty tooth number was removed" : "Tooth '\(tooth)' is written \(clean)",
                          "\(at).procedure.tooth")
                    procedure.tooth = clean.isEmpty ? nil : clean
                }
            }
            if let surfaces = procedure.surfaces, !surfaces.isEmpty {
                let clean = normalizedSurfaces(surfaces)
                if clean != surfaces {
                    fixed("surfaces_normalized",
                          "Surfaces \(surfaces.map { "'\($0)'" }.joined(separator: ", ")) are written \(clean.isEmpty ? "as none" : clean.joined())",
                          "\(at).procedure.surfaces")
                    procedure.surfaces = clean.isEmpty ? nil : clean
                }
            }
            claim.lines[index].procedure = procedure
            let pointers = claim.lines[index].diagnosisPointers
            let uniquePointers = pointers.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
            if uniquePointers != pointers {
                fixed("diagnosis_pointers_normalized", "Repeated diagnosis pointers were removed", "\(at).diagnosisPointers")
                claim.lines[index].diagnosisPointers = uniquePointers
            }
        }
        for (index, code) in claim.diagnoses.enumerated() {
            let clean = ClaimCodeFormat.normalizedDiagnosis(code)
            if clean != code {
                fixed("diagnosis_normalized", "Diagnosis '\(code)' is written \(clean) (X12 carries ICD-10 codes without the dot)",
                      "diagnoses[\(index)]")
                claim.diagnoses[index] = clean
            }
        }
        let memberId = ClaimCodeFormat.trimmed(claim.parties.coverage.memberId)
        if memberId != claim.parties.coverage.memberId && !memberId.isEmpty {
            fixed("member_id_normalized", "Spaces around the member id '\(claim.parties.coverage.memberId)' were removed",
                  "parties.coverage.memberId")
            claim.parties.coverage.memberId = memberId
        }
        if let taxId = claim.parties.practice?.taxId {
            let digits = taxId.filter { $0 != "-" && $0 != " " }
            if digits != taxId && digits.count == 9 && ClaimCodeFormat.isDigits(digits) {
                fixed("tax_id_normalized", "The tax id '\(taxId)' is written \(digits)", "parties.practice.taxId")
                claim.parties.practice?.taxId = digits
            }
        }
        findings += total(&claim)
        return findings
    }

    /// "mod", ["M", "M", ""] → ["M", "O", "D"], ["M"]: upper case, split when run together, no empties or repeats.
    static func normalizedSurfaces(_ surfaces: [String]) -> [String] {
        var clean: [String] = []
        for raw in surfaces {
            let text = ClaimCodeFormat.trimmed(raw).uppercased()
            let runTogether = text.count > 1 && text.allSatisfy { ToothChart.surfaces.contains(String($0)) }
            for surface in runTogether ? text.map(String.init) : [text] where !surface.isEmpty && !clean.contains(surface) {
                clean.append(surface)
            }
        }
        return clean
    }

    /// CLM02 must be the sum of the lines; in one currency it is recomputed, across currencies the claim holds.
    private static func total(_ claim: inout Claim) -> [ScrubFinding] {
        let currency = claim.totalCharged.currency
        if let other = claim.lines.first(where: { $0.fee.currency != currency }) {
            return [ScrubLineRules.hold("currency_mismatch",
                                        "The claim is in \(currency) but \(ScrubLineRules.name(other)) is in \(other.fee.currency)",
                                        at: "totalCharged")]
        }
        let sum = claim.lines.reduce(Int64(0)) { $0 + $1.fee.amount }
        guard sum != claim.totalCharged.amount else { return [] }
        let was = claim.totalCharged
        claim.totalCharged = Money(amount: sum, currency: currency)
        return [ScrubFinding(code: "total_mismatch",
                             message: "The claim total was \(was.display) but the lines add up to \(claim.totalCharged.display); the total is now \(claim.totalCharged.display)",
                             location: "totalCharged", fixable: true)]
    }
}
