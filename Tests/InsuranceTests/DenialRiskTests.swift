import Contracts
import Testing
@testable import InsuranceService

private func riskRows(_ payerId: String, _ code: String, denied: Int, of total: Int) -> [DenialHistoryRow] {
    (0..<total).map { DenialHistoryRow(payerId: payerId, procedureCode: code, denied: $0 < denied) }
}

/// Delta Dental (payer DD): 3 of 10 D2740 and 0 of 10 D1110 denied; Aetna (60054): 1 of 20 D1110.
private let riskHistory = riskRows("DD", "D2740", denied: 3, of: 10) + riskRows("DD", "D1110", denied: 0, of: 10)
    + riskRows("60054", "D1110", denied: 1, of: 20)

private func riskClaim(payer: Payer, codes: [String]) -> Claim {
    var claim = ScrubberFixtures.claim()
    claim.parties.coverage.payer = payer
    claim.lines = codes.enumerated().map { ScrubberFixtures.line("chg-\($0.offset)", $0.element, tooth: "3") }
    return claim
}

private let deltaDental = Payer(payerId: "DD", name: "Delta Dental")

@Suite struct DenialRiskTests {
    @Test func eachRateIsSmoothedTowardTheBroaderOne() {
        let model = DenialRiskModel(history: riskHistory)
        let practice = (4 + 5 * 0.05) / 45.0            // 4 of 40, toward the 5 % baseline
        let payer = (3 + 5 * practice) / 25.0           // Delta Dental: 3 of 20
        #expect(abs(model.lineRate(payerId: "DD", code: "D2740") - (3 + 5 * payer) / 15.0) < 1e-12)
        #expect(abs(model.lineRate(payerId: "DD", code: "D7140") - payer) < 1e-12)         // no D7140 history: the payer's rate
        #expect(abs(model.lineRate(payerId: "UHC", code: "D2740") - practice) < 1e-12)     // unknown payer: the practice's rate
        #expect(abs(DenialRiskModel(history: []).lineRate(payerId: "DD", code: "D2740") - 0.05) < 1e-12)
    }

    @Test func theClaimIsDeniedIfAnyLineIsAndTheReasonsSayWhy() {
        let model = DenialRiskModel(history: riskHistory)
        let risk = model.risk(for: riskClaim(payer: deltaDental, codes: ["D2740", "D1110"]))
        let a = model.lineRate(payerId: "DD", code: "D2740"), b = model.lineRate(payerId: "DD", code: "D1110")
        #expect(risk.percent == Int(((1 - (1 - a) * (1 - b)) * 100).rounded()))
        #expect(risk.percent == 28)  // 1 − (1 − 0.246)(1 − 0.046)
        #expect(risk.reasons == ["Delta Dental denied 3 of 10 D2740 claims"])
    }

    @Test func aCodeWithoutHistoryIsExplainedByThePayersRecord() {
        let model = DenialRiskModel(history: riskHistory)
        let risk = model.risk(for: riskClaim(payer: deltaDental, codes: ["D7140", "D2740"]))
        #expect(risk.reasons == ["Delta Dental denied 3 of 10 D2740 claims",
                                 "Delta Dental denied 3 of 20 claims (none for D7140 yet)"])
        let unknown = model.risk(for: riskClaim(payer: Payer(payerId: "UHC", name: "United"), codes: ["D2740"]))
        #expect(unknown.reasons == ["No history with United; payers denied 4 of 40 of the practice's claims"])
        #expect(unknown.percent == 9)
    }

    @Test func openFindingsAreReasonsFirst() {
        let model = DenialRiskModel(history: riskHistory)
        var claim = riskClaim(payer: deltaDental, codes: ["D2740"])
        claim.findings = [ScrubFinding(code: "frequency_limit", message: "D1110 is over the plan's limit", location: nil, fixable: false),
                          ScrubFinding(code: "code_normalized", message: "fixed", location: nil, fixable: true)]
        #expect(model.risk(for: claim).reasons == ["Open finding: D1110 is over the plan's limit",
                                                    "Delta Dental denied 3 of 10 D2740 claims"])
        let given = model.risk(for: claim, openFindings: [])
        #expect(given.reasons == ["Delta Dental denied 3 of 10 D2740 claims"])
    }

    @Test func atMostThreeHistoryReasonsRiskiestFirstAndTheSameEveryTime() {
        let history = riskRows("DD", "D2740", denied: 1, of: 4) + riskRows("DD", "D2750", denied: 4, of: 4)
            + riskRows("DD", "D3330", denied: 2, of: 4) + riskRows("DD", "D7140", denied: 1, of: 4)
        let model = DenialRiskModel(history: history)
        let claim = riskClaim(payer: deltaDental, codes: ["D7140", "D2740", "D3330", "D2750"])
        let risk = model.risk(for: claim)
        #expect(risk.reasons == ["Delta Dental denied 4 of 4 D2750 claims", "Delta Dental denied 2 of 4 D3330 claims",
                                 "Delta Dental denied 1 of 4 D2740 claims"])
        #expect(model.risk(for: claim) == risk)
        #expect((0...100).contains(risk.percent))
    }

    @Test func aClaimWithoutLinesHasNoRisk() {
        var claim = riskClaim(payer: deltaDental, codes: [])
        claim.lines = []
        #expect(DenialRiskModel(history: riskHistory).risk(for: claim) == DenialRisk(percent: 0, reasons: []))
    }
}
