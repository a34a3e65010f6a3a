import Contracts
import Foundation
import PostgresNIO
import ServiceRuntime
import WebAPI

/// `GET /v1/patients/{patientId}/account`: the patient's balance and ledger entries, a page at a time.
enum AccountRoutes {
    struct Account: APIExample {
        var patientId: String
        /// The balance when the account has one currency (the usual case); `balances` always lists all.
        var balance: Money?
        var balances: [Money]
        var entries: Page<Entry>

        static let example = Account(
            patientId: "pat-1001", balance: Money(amount: 18_500, currency: "USD"),
            balances: [Money(amount: 18_500, currency: "USD")], entries: .example)
    }

    struct Entry: APIExample {
        var id: String
        var transferId: String
        var kind: String
        var chargeId: String?
        /// Signed: positive raised what the patient owes.
        var amount: Money
        var enteredAt: String

        static let example = Entry(id: "1", transferId: "charge:chg-90001", kind: "charge", chargeId: "chg-90001",
                                   amount: Money(amount: 18_500, currency: "USD"), enteredAt: "2026-11-25T09:30:00.000Z")
    }

    static func add(to api: APIRoutes, _ resources: ServiceResources) {
        api.get("/v1/patients/:patientId/account", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "A patient's balance and ledger entries (oldest first)", query: QueryParameter.paging,
                output: Account.self) { call in
            let patientId = try call.parameter("patientId")
            let page = try PageRequest(call.query)
            let after = try page.numericCursor("an entry id")
            guard let account = try await load(clinicId: call.caller.clinicId, patientId: patientId, after: after,
                                                limit: page.limit, resources) else {
                throw APIError.notFound("account for patient", patientId)
            }
            return account
        }
    }

    static func load(clinicId: String, patientId: String, after: Int64, limit: Int, _ resources: ServiceResources) async throws -> Account? {
        var balances: [Money] = []
        for try await (amount, currency) in try await resources.client.query("""
            SELECT balance, currency FROM patient_balances
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId) ORDER BY currency
            """, logger: resources.logger).decode((Int64, String).self)
        {
            balances.append(Money(amount: amount, currency: currency))
        }
        guard !balances.isEmpty else { return nil }
        var entries: [Entry] = []
        for try await (id, transferId, kind, chargeId, amount, currency, enteredAt) in try await resources.client.query("""
            SELECT id, transfer_id, kind, charge_id, amount, currency, entered_at FROM ledger_entries
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId) AND id > \(after) ORDER BY id LIMIT \(limit + 1)
            """, logger: resources.logger).decode((Int64, String, String, String?, Int64, String, Date).self)
        {
            entries.append(Entry(id: String(id), transferId: transferId, kind: kind, chargeId: chargeId,
                                 amount: Money(amount: amount, currency: currency), enteredAt: Timestamp(enteredAt).description))
        }
        return Account(patientId: patientId, balance: balances.count == 1 ? balances[0] : nil,
                       balances: balances, entries: Page(fetched: entries, limit: limit))
    }
}
