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
        /// What payments may collect outside a plan: the balance less what active plans finance and less
        /// the insurance expected on submitted claims (per currency).
        var collectible: [Money]
        var financedByPlans: [Money]
        var insurancePending: [Money]
        var entries: Page<Entry>
        var paymentMethods: [PaymentMethodRoutes.Method]
        var upcomingAutoCharges: [UpcomingCharge]
        /// Notes for staff, newest first (e.g. a balance due that no card could pay).
        var notes: [Note]

        static let example = Account(
            patientId: "pat-1001", balance: Money(amount: 18_500, currency: "USD"),
            balances: [Money(amount: 18_500, currency: "USD")], collectible: [Money(amount: 3_700, currency: "USD")],
            financedByPlans: [Money(amount: 0, currency: "USD")], insurancePending: [Money(amount: 14_800, currency: "USD")],
            entries: .example, paymentMethods: [.example], upcomingAutoCharges: [.example], notes: [.example])
    }

    struct UpcomingCharge: APIExample {
        /// `auto_charge` (the next daily run) or `retry` (a soft decline tried again).
        var kind: String
        var paymentMethodId: String
        /// At most this much (the run takes what is collectible then, up to the authorized maximum).
        var amount: Money
        var at: String

        static let example = UpcomingCharge(kind: "retry", paymentMethodId: "pm_4f2b6c8d0e1f2a3b4c5d6e7f",
                                            amount: Money(amount: 3_700, currency: "USD"), at: "2026-11-26T14:00:00.000Z")
    }

    struct Note: APIExample {
        var note: String
        var createdAt: String

        static let example = Note(note: "Auto-charge 2026-11-25: USD balance due and no authorized card could be charged.",
                                  createdAt: "2026-11-25T14:00:01.000Z")
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

    static func add(to api: APIRoutes, _ resources: ServiceResources, nextAutoCharge: @escaping @Sendable (Date) -> Date) {
        api.get("/v1/patients/:patientId/account", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "A patient's balance and ledger entries (oldest first)", query: QueryParameter.paging,
                output: Account.self) { call in
            let patientId = try call.parameter("patientId")
            let page = try PageRequest(call.query)
            let after = try page.numericCursor("an entry id")
            guard var account = try await load(clinicId: call.caller.clinicId, patientId: patientId, after: after,
                                                limit: page.limit, resources) else {
                throw APIError.notFound("account for patient", patientId)
            }
            try await addCollections(to: &account, clinicId: call.caller.clinicId,
                                     nextRun: nextAutoCharge(resources.clock.now()), resources)
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
        return Account(patientId: patientId, balance: balances.count == 1 ? balances[0] : nil, balances: balances,
                       collectible: [], financedByPlans: [], insurancePending: [], entries: Page(fetched: entries, limit: limit),
                       paymentMethods: [], upcomingAutoCharges: [], notes: [])
    }

    /// What the money-collecting side of payments knows of the patient: plans, insurance pending, saved
    /// methods, the next automatic charges, notes for staff.
    static func addCollections(to account: inout Account, clinicId: String, nextRun: Date, _ resources: ServiceResources) async throws {
        try await resources.client.withConnection { connection in
            let patientId = account.patientId
            for balance in account.balances {
                let sums = try await connection.query("""
                    SELECT (SELECT coalesce(sum(financed), 0)::bigint FROM plan_financing WHERE clinic_id = \(clinicId)
                              AND patient_id = \(patientId) AND currency = \(balance.currency) AND status NOT IN ('defaulted', 'completed', 'cancelled')),
                           (SELECT coalesce(sum(expected), 0)::bigint FROM expected_insurance WHERE clinic_id = \(clinicId)
                              AND patient_id = \(patientId) AND currency = \(balance.currency) AND open)
                    """, logger: resources.logger).decode((Int64, Int64).self).all().first ?? (Int64(0), Int64(0))
                account.financedByPlans.append(Money(amount: sums.0, currency: balance.currency))
                account.insurancePending.append(Money(amount: sums.1, currency: balance.currency))
                account.collectible.append(Money(amount: Collections.collectible(
                    balance: balance.amount, financedByPlans: sums.0, expectedInsurance: sums.1), currency: balance.currency))
            }
            let methods = try await PaymentMethodStore(connection: connection, logger: resources.logger)
                .list(clinicId: clinicId, patientId: patientId)
            account.paymentMethods = methods.map(PaymentMethodRoutes.Method.init)
            if let card = methods.first(where: { $0.status == .active && $0.autoCharge != nil && $0.kind == "card" }) {
                for collectible in account.collectible where collectible.amount > 0 {
                    let amount = Collections.autoChargeAmount(collectible: collectible.amount,
                                                              maximumPerCharge: card.autoCharge?.maximumPerCharge?.amount)
                    account.upcomingAutoCharges.append(UpcomingCharge(
                        kind: "auto_charge", paymentMethodId: card.paymentMethodId,
                        amount: Money(amount: amount, currency: collectible.currency), at: Timestamp(nextRun).description))
                }
            }
            for try await (methodId, amount, currency, at) in try await connection.query("""
                SELECT payment_method_id, amount, currency, next_retry_at FROM collection_retries
                WHERE clinic_id = \(clinicId) AND patient_id = \(patientId) AND next_retry_at IS NOT NULL ORDER BY next_retry_at
                """, logger: resources.logger).decode((String, Int64, String, Date).self) {
                account.upcomingAutoCharges.append(UpcomingCharge(
                    kind: "retry", paymentMethodId: methodId, amount: Money(amount: amount, currency: currency),
                    at: Timestamp(at).description))
            }
            for try await (note, at) in try await connection.query("""
                SELECT note, created_at FROM account_notes WHERE clinic_id = \(clinicId) AND patient_id = \(patientId)
                ORDER BY id DESC LIMIT 20
                """, logger: resources.logger).decode((String, Date).self) {
                account.notes.append(Note(note: note, createdAt: Timestamp(at).description))
            }
        }
    }
}
