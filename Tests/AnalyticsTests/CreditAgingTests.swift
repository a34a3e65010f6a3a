import Contracts
import Testing
@testable import AnalyticsService

@Suite struct CreditAgingTests {
    let jan = CalendarDate("2026-01-10")!, feb = CalendarDate("2026-02-10")!, mar = CalendarDate("2026-03-10")!

    @Test func aCreditPaysTheOldestItemsFirst() {
        var patient = PatientItems()
        patient.items = [(mar, 3_000), (jan, 1_000), (feb, 2_000)]
        patient.credits = 1_500
        let open = patient.open()
        #expect(open.map(\.serviceDate) == [feb, mar])
        #expect(open.map(\.amount) == [1_500, 3_000])
    }

    @Test func aCreditAboveEveryItemLeavesNothingToAge() {
        var patient = PatientItems()
        patient.items = [(jan, 1_000)]
        patient.credits = 5_000
        #expect(patient.open().isEmpty)
    }

    @Test func theBucketsAddUpToTheBalanceAfterAWriteOff() {
        var patient = PatientItems()
        patient.items = [(jan, 90_000)]
        patient.credits = 4_000
        let aging = ReceivablesSummary.aging(of: patient.open(), currency: "USD", today: mar)
        #expect(aging.reduce(0) { $0 + $1.amount.amount } == 86_000)
    }
}
