import Contracts

/// Everything checked before a claim goes out, in one pure step: the scrubber (fixable findings applied),
/// code suggestions from the practice's fee schedule, and the denial risk from the practice's history.
public enum ClaimChecks {
    public struct Result: Sendable {
        public var claim: Claim
        /// Fixable findings that were applied (each is audited).
        public var fixed: [ScrubFinding]
        /// Findings that hold the claim for a person.
        public var blocking: [ScrubFinding]
    }

    public static func run(_ claim: Claim, today: CalendarDate, timelyFilingDays: Int, history: [(code: String, date: CalendarDate)],
                           feeSchedule: [PracticeFeeEntry], risk model: DenialRiskModel) -> Result {
        let prior = history.map { PriorClaimedService(code: $0.code, serviceDate: $0.date) }
        // Suggestions first, so that a finding about a code can name the suggested one.
        let scrubbed = Scrubber.scrub(CodeSuggester.annotate(claim, feeSchedule: feeSchedule), today: today,
                                      timelyFilingDays: timelyFilingDays, history: prior)
        var checked = scrubbed.fixed
        checked.findings = scrubbed.findings
        checked.risk = model.risk(for: checked, openFindings: scrubbed.holding)
        return Result(claim: checked, fixed: scrubbed.findings.filter(\.fixable), blocking: scrubbed.holding)
    }
}
