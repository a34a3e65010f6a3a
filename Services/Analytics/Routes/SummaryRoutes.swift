import Contracts
import Foundation
import PostgresNIO
import ServiceRuntime
import WebAPI

/// `GET /v1/summary`: the caller's clinic's accounts receivable and its aging, per currency.
enum SummaryRoutes {
    struct Summary: APIExample {
        var clinicId: String
        var asOf: String
        var receivables: [ReceivablesSummary]

        static let example = Summary(clinicId: "clinic-1", asOf: "2026-11-25", receivables: [ReceivablesSummary(
            currency: "USD", total: Money(amount: 18_500, currency: "USD"), patientsWithBalance: 1,
            aging: ReceivablesSummary.aging(of: [], currency: "USD", today: CalendarDate("2026-11-25")!))])
    }

    static func add(to api: APIRoutes, _ resources: ServiceResources) {
        api.get("/v1/summary", .staff(.reportsRead), summary: "Accounts receivable and its aging, per currency",
                output: Summary.self) { call in
            let clinicId = call.caller.clinicId
            let today = CalendarDate(containing: resources.clock.now())
            var totals: [String: (amount: Int64, patients: Int)] = [:]
            for try await (currency, amount, patients) in try await resources.client.query("""
                SELECT currency, sum(balance)::bigint, count(*) FILTER (WHERE balance <> 0)::bigint
                FROM patient_balances WHERE clinic_id = \(clinicId) GROUP BY currency
                """, logger: resources.logger).decode((String, Int64, Int64).self)
            {
                totals[currency] = (amount, Int(patients))
            }
            var open: [String: [(serviceDate: CalendarDate, amount: Int64)]] = [:]
            for try await (currency, serviceDate, amount) in try await resources.client.query("""
                SELECT currency, service_date::text, sum(amount)::bigint FROM open_charges
                WHERE clinic_id = \(clinicId) AND NOT reversed GROUP BY currency, service_date
                """, logger: resources.logger).decode((String, String, Int64).self)
            {
                if let date = CalendarDate(serviceDate) { open[currency, default: []].append((date, amount)) }
            }
            let currencies = Set(totals.keys).union(open.keys).sorted()
            return Summary(clinicId: clinicId, asOf: today.description, receivables: currencies.map { currency in
                ReceivablesSummary(
                    currency: currency, total: Money(amount: totals[currency]?.amount ?? 0, currency: currency),
                    patientsWithBalance: totals[currency]?.patients ?? 0,
                    aging: ReceivablesSummary.aging(of: open[currency] ?? [], currency: currency, today: today))
            })
        }
    }
}
