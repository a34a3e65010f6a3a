import Contracts
import Foundation
import Testing
@testable import PaymentsService

@Suite struct PaymentLifeTests {
    let charge = GatewayCharge(id: "ch_1", cardBrand: "visa", cardLast4: "4242")
    let soft = GatewayDecline(failure: PaymentFailure(code: "card_declined", declineCode: "insufficient_funds", message: "no"), soft: true)

    @Test func aProcessingPaymentSucceedsFailsOrBecomesUnknown() {
        #expect(PaymentTransition.on(.processing, outcome: .succeeded(charge)) == .succeed(charge))
        #expect(PaymentTransition.on(.processing, outcome: .declined(soft, charge: nil)) == .fail(soft))
        #expect(PaymentTransition.on(.processing, outcome: nil) == .becomeUnknown)
        #expect(PaymentTransition.on(.processing, outcome: .processing(charge)) == .keepProcessing(charge))
    }

    @Test func anUnknownPaymentIsSettledByTheGatewaysAnswerAndStaysUnknownWithoutOne() {
        #expect(PaymentTransition.on(.unknown, outcome: .succeeded(charge)) == .succeed(charge))
        #expect(PaymentTransition.on(.unknown, outcome: nil) == PaymentTransition.none)
    }

    @Test(arguments: [PaymentStatus.succeeded, .failed])
    func aFinalPaymentNeverChangesAgain(status: PaymentStatus) {
        // A late or replayed answer (janitor and request racing, a replayed webhook) has no second effect.
        for outcome: GatewayChargeOutcome? in [.succeeded(charge), .declined(soft, charge: nil), .processing(charge), nil] {
            #expect(PaymentTransition.on(status, outcome: outcome) == PaymentTransition.none)
        }
    }
}

@Suite struct PaymentRequestRulesTests {
    func request(_ method: PaymentMethodKind, amount: Int64 = 1_000, currency: String = "USD", token: String? = nil,
                 methodId: String? = nil, lender: String? = nil) -> PaymentRequest {
        PaymentRequest(patientId: "p1", amount: Money(amount: amount, currency: currency), method: method, token: token,
                       paymentMethodId: methodId,
                       financing: lender.map { PaymentRequest.Financing(lender: $0, approvalReference: "A-1") },
                       reference: nil, note: nil, planId: nil, installmentId: nil)
    }

    func code(_ request: PaymentRequest) -> String? {
        PaymentRules.problem(in: request, accountCurrency: "USD", lenders: ["carecredit"])?.code
    }

    @Test func validRequestsPass() {
        #expect(code(request(.cash)) == nil)
        #expect(code(request(.card, token: "tok_visa")) == nil)
        #expect(code(request(.ach, token: "btok_settles")) == nil)
        #expect(code(request(.cardOnFile, methodId: "pm_1")) == nil)
        #expect(code(request(.financing, lender: "carecredit")) == nil)
    }

    @Test(arguments: [Int64(0), -5, Currency.maximumAmount + 1])
    func amountsOutOfBoundsAreRefused(amount: Int64) {
        #expect(code(request(.cash, amount: amount)) == "amount_invalid")
    }

    @Test func theAccountsCurrencyOnly() {
        #expect(code(request(.cash, currency: "EUR")) == "currency_mismatch")
    }

    @Test func tokensOfTheWrongKindAreRefused() {
        #expect(code(request(.card, token: "btok_settles")) == "token_wrong_kind")
        #expect(code(request(.ach, token: "tok_visa")) == "token_wrong_kind")
        #expect(code(request(.cash, token: "tok_visa")) == "token_wrong_kind")
        #expect(code(request(.card)) == "parameter_missing")
    }

    @Test func financingNamesAConfiguredLender() {
        #expect(code(request(.financing, lender: "payday-loans")) == "lender_unknown")
        #expect(code(request(.financing)) == "parameter_missing")
    }

    @Test func farAboveTheBalanceIsFlagged() {
        #expect(PaymentRules.isFarAboveBalance(500_000, balance: 10_000))
        #expect(!PaymentRules.isFarAboveBalance(10_000, balance: 10_000))
        // A prepayment of up to 1,000.00 beyond a zero balance is ordinary.
        #expect(!PaymentRules.isFarAboveBalance(100_000, balance: 0))
        #expect(PaymentRules.isFarAboveBalance(100_001, balance: 0))
    }
}

@Suite struct RefundRulesTests {
    let paid = Money(amount: 10_000, currency: "USD")

    @Test func neverMoreThanWhatIsLeft() {
        #expect(RefundRules.problem(amount: Money(amount: 4_000, currency: "USD"), paymentAmount: paid, refunded: 6_000,
                                    status: .succeeded) == nil)
        #expect(RefundRules.problem(amount: Money(amount: 4_001, currency: "USD"), paymentAmount: paid, refunded: 6_000,
                                    status: .succeeded)?.code == "refund_exceeds_payment")
    }

    @Test(arguments: [PaymentStatus.failed, .processing, .unknown])
    func onlySucceededPaymentsAreRefunded(status: PaymentStatus) {
        #expect(RefundRules.problem(amount: Money(amount: 1, currency: "USD"), paymentAmount: paid, refunded: 0,
                                    status: status)?.code == "payment_not_refundable")
    }

    @Test func paymentAndRefundTransfersBalance() {
        #expect(Transfer.payment(id: "p", patientId: "x", method: .card, amount: paid).isBalanced)
        #expect(Transfer.refund(id: "r", patientId: "x", method: .card, amount: paid).isBalanced)
        let remittance = Transfer.insurancePayment(claimId: "c", traceNumber: "t", patientId: "x", paid: 700, contractual: 300,
                                                   currency: "USD")
        #expect(remittance.isBalanced)
        #expect(remittance.change(to: .receivable(patientId: "x")) == -1_000)
    }
}

@Suite struct CollectionRulesTests {
    @Test func paymentsPayTheOldestChargesFirst() {
        let open = [OpenCharge(chargeId: "old", open: 3_000), OpenCharge(chargeId: "new", open: 5_000)]
        let allocations = Collections.allocate(4_000, to: open, currency: "USD")
        #expect(allocations.map(\.chargeId) == ["old", "new"])
        #expect(allocations.map(\.amount.amount) == [3_000, 1_000])
    }

    @Test func whatIsBeyondEveryOpenChargeIsACredit() {
        let allocations = Collections.allocate(9_000, to: [OpenCharge(chargeId: "a", open: 2_000)], currency: "USD")
        #expect(allocations.map(\.amount.amount) == [2_000])
    }

    @Test func neverCollectTwiceForOneDollar() {
        #expect(Collections.collectible(balance: 10_000, financedByPlans: 6_000, expectedInsurance: 3_000) == 1_000)
        #expect(Collections.collectible(balance: 10_000, financedByPlans: 8_000, expectedInsurance: 3_000) == 0)
        #expect(Collections.collectible(balance: -500, financedByPlans: 0, expectedInsurance: 0) == 0)
        #expect(Collections.autoChargeAmount(collectible: 9_000, maximumPerCharge: 5_000) == 5_000)
        #expect(Collections.autoChargeAmount(collectible: 900, maximumPerCharge: 5_000) == 900)
    }

    @Test func softDeclinesAreRetriedAfterOneThreeAndSevenDaysThenNever() {
        let first = Date(timeIntervalSince1970: 1_800_000_000)
        let days = (0..<4).map { RetrySchedule.standard.nextRetry(firstFailure: first, retriesMade: $0) }
            .map { $0.map { Int($0.timeIntervalSince(first) / 86_400) } }
        #expect(days == [1, 3, 7, nil])
        #expect(RetrySchedule("2, 5") == RetrySchedule(days: [2, 5]))
        #expect(RetrySchedule("0,1") == nil)
        #expect(RetrySchedule("soon") == nil)
    }

    @Test func cardTestingLimit() {
        #expect(!DeclineLimit.standard.isReached(recentDeclines: 4))
        #expect(DeclineLimit.standard.isReached(recentDeclines: 5))
    }
}

@Suite struct ChargeCheckTests {
    func posted(_ id: String, code: String = "D2392", system: CodeSystem = .cdt, surfaces: [String]? = ["M", "O"]) -> ChargePosted {
        ChargePosted(chargeId: id, patientId: "p1", providerId: "dr", serviceDate: CalendarDate(year: 2026, month: 11, day: 2)!,
                     procedure: Procedure(code: code, codeSystem: system, tooth: "30", surfaces: surfaces),
                     fee: Money(amount: 100, currency: "USD"))
    }

    @Test func theSameWorkTwiceHasOneDuplicateKeyWhateverTheSurfaceOrder() {
        #expect(DuplicateChargeKey(posted("a")) == DuplicateChargeKey(posted("b", surfaces: ["o", "m"])))
        #expect(DuplicateChargeKey(posted("a")) != DuplicateChargeKey(posted("b", surfaces: ["M", "O", "D"])))
    }

    @Test func codesAreNormalisedNotRefused() {
        let charge = ChargeRules.normalised(posted("a", code: " d1110 "))
        #expect(charge.procedure.code == "D1110")
        #expect(ChargeRules.problems(in: charge, today: CalendarDate(year: 2026, month: 11, day: 25)!).isEmpty)
    }

    @Test func hcpcsCodesAreChecked() {
        let today = CalendarDate(year: 2026, month: 11, day: 25)!
        #expect(ChargeRules.problems(in: posted("a", code: "E0114", system: .hcpcs), today: today).isEmpty)
        #expect(!ChargeRules.problems(in: posted("a", code: "Z0114", system: .hcpcs), today: today).isEmpty)
        #expect(!ChargeRules.problems(in: posted("a", code: "E011", system: .hcpcs), today: today).isEmpty)
    }
}
