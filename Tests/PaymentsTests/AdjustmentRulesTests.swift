import Contracts
import Testing
@testable import PaymentsService

@Suite struct AdjustmentRulesTests {
    func request(_ amount: Int64, kind: AdjustmentRequest.Kind = .writeOff, reason: String = "small balance",
                 direction: AdjustmentRequest.Direction? = nil) -> AdjustmentRequest {
        AdjustmentRequest(patientId: "p1", amount: Money(amount: amount, currency: "USD"), kind: kind, reason: reason,
                          note: nil, direction: direction)
    }

    @Test func aWriteOffWithinTheBalanceIsFine() {
        #expect(AdjustmentRules.problems(in: request(500), balance: 1_000).isEmpty)
        #expect(request(500).balanceChange == -500)
    }

    @Test func aWriteOffAboveTheBalanceIsRefused() {
        let problems = AdjustmentRules.problems(in: request(1_500), balance: 1_000)
        #expect(problems.map(\.param) == ["amount"])
        #expect(problems.first?.message.contains("exceeds the patient's balance") == true)
    }

    @Test func aReasonIsRequired() {
        #expect(AdjustmentRules.problems(in: request(5, reason: "  "), balance: 10).map(\.param) == ["reason"])
    }

    @Test func onlyACorrectionMayRaiseTheBalance() {
        #expect(AdjustmentRules.problems(in: request(5, kind: .correction, direction: .increase), balance: 0).isEmpty)
        #expect(request(5, kind: .correction, direction: .increase).balanceChange == 5)
        #expect(AdjustmentRules.problems(in: request(5, direction: .increase), balance: 0).map(\.param) == ["direction"])
    }

    @Test(arguments: [Int64.min, -1, 0, Currency.maximumAmount + 1])
    func amountsOutOfBoundsAreRefusedWithoutOverflow(amount: Int64) {
        #expect(AdjustmentRules.problems(in: request(amount), balance: 100).map(\.param).contains("amount"))
    }

    @Test func theTransferBalances() {
        let transfer = Transfer.adjustment(id: "a1", kind: .courtesyDiscount, patientId: "p1", change: -700, currency: "USD")
        #expect(transfer.isBalanced)
        #expect(transfer.change(to: .receivable(patientId: "p1")) == -700)
    }

    @Test func largeMeansAboveTheThreshold() {
        #expect(!AdjustmentRules.isLarge(Money(amount: 50_000, currency: "USD"), threshold: 50_000))
        #expect(AdjustmentRules.isLarge(Money(amount: 50_001, currency: "USD"), threshold: 50_000))
    }
}
