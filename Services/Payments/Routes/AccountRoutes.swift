import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceRuntime

/// `GET /v1/patients/{patientId}/account?clinicId=…`: the patient's balance and ledger entries.
enum AccountRoutes {
    struct Account: ResponseEncodable {
        var clinicId: String
        var patientId: String
        /// The balance when the account has one currency (the usual case); `balances` always lists all.
        var balance: Money?
        var balances: [Money]
        var entries: [Entry]
    }

    struct Entry: Codable {
        var entryId: Int64
        var transferId: String
        var kind: String
        var chargeId: String?
        /// Signed: positive raised what the patient owes.
        var amount: Money
        var enteredAt: String
    }

    static func add(to router: Router<BasicRequestContext>, _ resources: ServiceResources) {
        router.get("/v1/patients/:patientId/account") { request, context in
            let clinicId = try request.clinicId()
            let patientId = try context.parameters.require("patientId")
            let limit = try request.limit(default: 1_000, maximum: 10_000)
            let account = try await load(clinicId: clinicId, patientId: patientId, limit: limit, resources)
            guard let account else {
                throw HTTPError(.notFound, message: "no account for patient \(patientId) in clinic \(clinicId)")
            }
            return account
        }
    }

    static func load(clinicId: String, patientId: String, limit: Int, _ resources: ServiceResources) async throws -> Account? {
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
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId) ORDER BY id LIMIT \(limit)
            """, logger: resources.logger).decode((Int64, String, String, String?, Int64, String, Date).self)
        {
            entries.append(Entry(entryId: id, transferId: transferId, kind: kind, chargeId: chargeId,
                                 amount: Money(amount: amount, currency: currency), enteredAt: Timestamp(enteredAt).description))
        }
        return Account(clinicId: clinicId, patientId: patientId, balance: balances.count == 1 ? balances[0] : nil,
                       balances: balances, entries: entries)
    }
}
