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
            // Per patient and currency: charges and other raising changes as dated items, lowering ones as credits.
            var patients: [String: PatientItems] = [:]
            for try await (patient, currency, date, amount) in try await resources.client.query("""
                SELECT patient_id, currency, service_date::text, amount FROM open_charges
                WHERE clinic_id = \(clinicId) AND NOT reversed
                UNION ALL
                SELECT patient_id, currency, occurred_on::text, change FROM other_balance_changes WHERE clinic_id = \(clinicId)
                """, logger: resources.logger).decode((String, String, String, Int64).self)
            {
                let key = "\(currency)\u{0}\(patient)"
                if amount < 0 {
                    patients[key, default: PatientItems()].credits += -amount
                } else if let day = CalendarDate(date) {
                    patients[key, default: PatientItems()].items.append((day, amount))
                }
            }
            var open: [String: [(serviceDate: CalendarDate, amount: Int64)]] = [:]
            for (key, items) in patients {
                open[String(key.prefix(3)), default: []] += items.open()
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
