import Contracts
import Testing
@testable import InsuranceService

private let lifecycleAt = Timestamp("2026-12-01T18:00:00Z")!

private func lifecycleClaim(_ status: ClaimStatus) -> Claim {
    var claim = ScrubberFixtures.claim()
    claim.status = status
    claim.payerClaimNumber = "PCN-2026-88123"
    return claim
}

private let legalMoves: [(ClaimStatus, ClaimStatus)] = [
    (.draft, .held), (.draft, .submitted),
    (.held, .corrected), (.held, .submitted),
    (.corrected, .resubmitted), (.corrected, .held),
    (.submitted, .accepted), (.submitted, .rejected),
    (.resubmitted, .accepted), (.resubmitted, .rejected),
    (.accepted, .acknowledged), (.accepted, .rejected),
    (.rejected, .corrected), (.rejected, .held),
    (.acknowledged, .corrected),
]

@Suite struct ClaimLifecycleTests {
    @Test(arguments: legalMoves)
    func everyLegalMoveIsRecorded(from: ClaimStatus, to: ClaimStatus) throws {
        var claim = lifecycleClaim(from)
        try claim.move(to: to, at: lifecycleAt, by: "scrubber", note: "why")
        #expect(claim.status == to)
        #expect(claim.history == [ClaimStatusChange(from: from, to: to, at: lifecycleAt, by: "scrubber", note: "why")])
    }

    @Test func everyOtherMoveIsRefusedAndLeavesTheClaimAsItWas() {
        let legal = Set(legalMoves.map { "\($0.0)>\($0.1)" })
        var refused = 0
        for from in ClaimStatus.allCases {
            for to in ClaimStatus.allCases where !legal.contains("\(from)>\(to)") {
                let claim = lifecycleClaim(from)
                #expect(throws: ClaimTransitionError(claimId: "clm-1", from: from, to: to, reason: .notAllowed)) {
                    _ = try ClaimLifecycle.transition(claim, to: to, at: lifecycleAt, by: "user-1")
                }
                #expect(!ClaimLifecycle.canMove(from: from, to: to))
                refused += 1
            }
        }
        #expect(refused == 64 - legalMoves.count)
    }

    @Test func theErrorSaysWhereTheClaimCanGo() {
        let error = ClaimTransitionError(claimId: "clm-1", from: .draft, to: .acknowledged, reason: .notAllowed)
        #expect(error.description == "claim clm-1 cannot move from draft to acknowledged: from draft it can move to held or submitted")
    }

    @Test func aClaimWithOpenFindingsCannotGoOut() throws {
        var claim = lifecycleClaim(.held)
        claim.findings = [ScrubFinding(code: "tooth_missing", message: "D2392 needs a tooth number", location: "lines[0].tooth",
                                       fixable: false),
                          ScrubFinding(code: "code_normalized", message: "fixed", location: nil, fixable: true)]
        #expect(throws: ClaimTransitionError(claimId: "clm-1", from: .held, to: .submitted, reason: .openFindings(["tooth_missing"]))) {
            try claim.move(to: .submitted, at: lifecycleAt, by: "scrubber")
        }
        #expect(claim.status == .held && claim.history.isEmpty)
        try claim.move(to: .corrected, at: lifecycleAt, by: "user-1")  // it may still wait as corrected
        claim.findings.removeFirst()  // only the fixed finding is left: it goes out
        try claim.move(to: .resubmitted, at: lifecycleAt, by: "scrubber")
        #expect(claim.history.map(\.to) == [.corrected, .resubmitted])
    }

    @Test func correctingAnAcknowledgedClaimMakesItAReplacement() throws {
        var claim = lifecycleClaim(.acknowledged)
        #expect(claim.frequencyCode == "1")
        try claim.move(to: .corrected, at: lifecycleAt, by: "user-1", note: "wrong tooth")
        #expect(claim.frequencyCode == "7")
        #expect(claim.payerClaimNumber == "PCN-2026-88123")
    }

    @Test func aRejectedClaimCorrectedStaysAnOriginal() throws {
        var claim = lifecycleClaim(.rejected)
        try claim.move(to: .corrected, at: lifecycleAt, by: "rule:member_id_format")
        #expect(claim.frequencyCode == "1")
    }

    @Test func aReplacementNeedsThePayersClaimNumber() {
        var claim = lifecycleClaim(.acknowledged)
        claim.payerClaimNumber = nil
        #expect(throws: ClaimTransitionError(claimId: "clm-1", from: .acknowledged, to: .corrected, reason: .noPayerClaimNumber)) {
            try claim.move(to: .corrected, at: lifecycleAt, by: "user-1")
        }
        #expect(claim.frequencyCode == "1" && claim.status == .acknowledged)
    }

    @Test func aWholeJourneyKeepsItsHistoryInOrder() throws {
        var claim = lifecycleClaim(.draft)
        for (status, who) in [(ClaimStatus.submitted, "scrubber"), (.accepted, "clearinghouse"), (.rejected, "clearinghouse"),
                              (.corrected, "rule:member_id_format"), (.resubmitted, "scrubber"), (.accepted, "clearinghouse"),
                              (.acknowledged, "clearinghouse")] {
            try claim.move(to: status, at: lifecycleAt, by: who)
        }
        #expect(claim.history.map(\.from) == [.draft, .submitted, .accepted, .rejected, .corrected, .resubmitted, .accepted])
        #expect(claim.status == .acknowledged)
    }
}
