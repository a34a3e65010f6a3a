import AnalyticsService
import Contracts
import Testing

@Suite struct AgingTests {
    let today = CalendarDate("2026-11-24")!

    @Test(arguments: [
        ("2026-11-24", AgingBucket.current), ("2026-10-25", .current), ("2026-10-24", .days31to60),
        ("2026-09-25", .days31to60), ("2026-09-24", .days61to90), ("2026-08-26", .days61to90),
        ("2026-08-25", .over90), ("2025-01-01", .over90), ("2026-12-01", .current),
    ])
    func bucketBoundaries(serviceDate: String, expected: AgingBucket) {
        #expect(AgingBucket.of(serviceDate: CalendarDate(serviceDate)!, today: today) == expected)
    }

    @Test func agingListsEveryBucketAndAddsUp() {
        let open: [(serviceDate: CalendarDate, amount: Int64)] = [
            (CalendarDate("2026-11-20")!, 10_000), (CalendarDate("2026-11-01")!, 2_550),
            (CalendarDate("2026-07-01")!, 99_999),
        ]
        let aging = ReceivablesSummary.aging(of: open, currency: "USD", today: today)
        #expect(aging.map(\.bucket) == AgingBucket.allCases)
        #expect(aging.map(\.amount.amount) == [12_550, 0, 0, 99_999])
        #expect(aging.allSatisfy { $0.amount.currency == "USD" })
    }
}
