import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceRuntime

/// `GET /v1/summary?clinicId=…`: total accounts receivable and its aging, per currency.
enum SummaryRoutes {
    struct Summary: ResponseEncodable {
        var clinicId: String
        var asOf: String
        var receivables: [ReceivablesSummary]
    }

    static func add(to router: Router<BasicRequestContext>, _ resources: ServiceResources) {
        router.get("/v1/summary") { request, _ in
            let clinicId = try request.clinicId()
            let today = CalendarDate(containing: Date())
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
