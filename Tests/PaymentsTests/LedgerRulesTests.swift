import Contracts
import PaymentsService
import Testing

@Suite struct ChargeRulesTests {
    let today = CalendarDate("2026-11-24")!

    func charge(amount: Int64 = 12_500, currency: String = "USD", code: String = "D1110",
                system: CodeSystem = .cdt, date: String = "2026-11-20") -> ChargePosted {
        ChargePosted(chargeId: "chg-1", patientId: "pat-1", providerId: "prov-1", serviceDate: CalendarDate(date)!,
                     procedure: Procedure(code: code, codeSystem: system), fee: Money(amount: amount, currency: currency))
    }

    @Test func aValidChargeHasNoProblems() {
        #expect(ChargeRules.problems(in: charge(), today: today) == [])
        #expect(ChargeRules.problems(in: charge(code: "99213", system: .cpt), today: today) == [])
    }

    @Test(arguments: [
        (Int64(0), "USD", "fee.amount must be positive"),
        (Int64(-500), "USD", "fee.amount must be positive"),
        (Int64(1_000_000_000_001), "USD", "exceeds the maximum"),
        (Int64(100), "XYZ", "not a supported ISO 4217 code"),
        (Int64(100), "usd", "not a supported ISO 4217 code"),
    ])
    func badFeesAreRefused(amount: Int64, currency: String, expected: String) {
        let problems = ChargeRules.problems(in: charge(amount: amount, currency: currency), today: today)
        #expect(problems.contains { $0.contains(expected) }, "\(problems)")
    }

    @Test func codesMustFitTheirSystem() {
        #expect(ChargeRules.problems(in: charge(code: "1110"), today: today).first?.contains("not a CDT code") == true)
        #expect(ChargeRules.problems(in: charge(code: "D1110", system: .cpt), today: today).first?.contains("not a CPT code") == true)
    }

    @Test func futureServiceDatesAreRefused() {
        #expect(ChargeRules.problems(in: charge(date: "2026-11-25"), today: today) == [])
        #expect(ChargeRules.problems(in: charge(date: "2026-11-27"), today: today) == ["serviceDate 2026-11-27 is in the future"])
    }
}

@Suite struct LedgerTests {
    let fee = Money(amount: 18_500, currency: "USD")

    @Test func transfersAreBalancedAndReversalsUndoCharges() {
        let charge = Transfer.charge(chargeId: "c1", patientId: "p1", fee: fee)
        let reversal = Transfer.reversal(chargeId: "c1", patientId: "p1", fee: fee)
        #expect(charge.isBalanced && reversal.isBalanced)
        let receivable = LedgerAccount.receivable(patientId: "p1")
        #expect(charge.change(to: receivable) == 18_500)
        #expect(charge.change(to: receivable) + reversal.change(to: receivable) == 0)
        #expect(charge.change(to: .production) + reversal.change(to: .production) == 0)
        #expect(charge.id != reversal.id)
    }

    @Test func postingDecisions() {
        let posted = ChargePosted(chargeId: "c1", patientId: "p1", providerId: "d1", serviceDate: CalendarDate("2026-11-01")!,
                                  procedure: Procedure(code: "D1110", codeSystem: .cdt), fee: fee)
        #expect(ChargeDecision.forPosting(posted, existing: nil) == .record)
        let same = RecordedCharge(chargeId: "c1", patientId: "p1", fee: fee, isReversed: false)
        #expect(ChargeDecision.forPosting(posted, existing: same) == .alreadyDone)
        let different = RecordedCharge(chargeId: "c1", patientId: "p1", fee: Money(amount: 1, currency: "USD"), isReversed: false)
        guard case .reject(.invalid(let why)) = ChargeDecision.forPosting(posted, existing: different) else {
            Issue.record("a different fee under the same charge id must be refused")
            return
        }
        #expect(why.contains("already posted"))
    }

    /// Postings handled together are decided as if they had come one by one, in order.
    @Test func postingsTogetherAreDecidedAsOneByOne() {
        func posted(_ chargeId: String, patient: String = "p1", amount: Int64 = 18_500) -> ChargePosted {
            ChargePosted(chargeId: chargeId, patientId: patient, providerId: "d1", serviceDate: CalendarDate("2026-11-01")!,
                         procedure: Procedure(code: "D1110", codeSystem: .cdt), fee: Money(amount: amount, currency: "USD"))
        }
        let recorded = ["old": RecordedCharge(chargeId: "old", patientId: "p1", fee: fee, isReversed: true)]
        let decisions = ChargeDecision.forPostings([
            (key: "new", posted: posted("new")),
            (key: "new", posted: posted("new")),  // the same charge again, under another event: no effect
            (key: "old", posted: posted("old")),  // already recorded (and voided since): no effect
            (key: "other", posted: posted("other", patient: "p2")),
            (key: "new", posted: posted("new", amount: 1)),  // another charge under a recorded id
            (key: "old", posted: posted("old", patient: "p3")),
        ], recorded: recorded)
        #expect(decisions.count == 6)
        #expect(Array(decisions.prefix(4)) == [.record, .alreadyDone, .alreadyDone, .record])
        for (index, decision) in decisions.enumerated().dropFirst(4) {
            guard case .reject(.invalid(let why)) = decision else {
                Issue.record("posting \(index) must be refused, got \(decision)")
                continue
            }
            #expect(why.contains("already posted") && why.contains("a correction is a void and a new charge id"))
        }
        #expect(ChargeDecision.forPostings([(key: "a", posted: posted("a"))], recorded: [:]) == [.record])
        #expect(ChargeDecision.forPostings([(key: String, posted: ChargePosted)](), recorded: recorded) == [])
    }

    @Test func voidDecisions() {
        let void = ChargeVoided(chargeId: "c1", patientId: "p1")
        guard case .reject(.notYet) = ChargeDecision.forVoid(void, existing: nil) else {
            Issue.record("a void before its charge waits for it")
            return
        }
        let open = RecordedCharge(chargeId: "c1", patientId: "p1", fee: fee, isReversed: false)
        #expect(ChargeDecision.forVoid(void, existing: open) == .reverse(open))
        var reversed = open
        reversed.isReversed = true
        #expect(ChargeDecision.forVoid(void, existing: reversed) == .alreadyDone)
        let otherPatient = RecordedCharge(chargeId: "c1", patientId: "p2", fee: fee, isReversed: false)
        guard case .reject(.invalid) = ChargeDecision.forVoid(void, existing: otherPatient) else {
            Issue.record("a void naming another patient is invalid")
            return
        }
    }
}
