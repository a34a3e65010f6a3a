import Contracts
import Logging
import PostgresNIO
import ServiceRuntime

/// Keeps the receivables read model from what payments publishes (and overhead from clinics).
enum ReceivablesHandlers {
    static func register(in handlers: inout EventHandlers) {
        handlers.onBatches(ChargeRecorded.self) { charges, context in
            try await recordCharges(charges, context.connection, context.logger)
        }
        handlers.on(ChargeReversed.self) { reversal, context in
            let updated = try await context.connection.query("""
                UPDATE open_charges SET reversed = true
                WHERE clinic_id = \(context.envelope.clinicId) AND charge_id = \(reversal.chargeId) RETURNING 1
                """, logger: context.logger).collect()
            guard !updated.isEmpty else {
                throw EventRejection.notYet("reversal of charge \(reversal.chargeId) arrived before the charge")
            }
        }
        handlers.onBatches(BalanceChanged.self) { changes, context in
            try await applyBalances(changes, context.connection, context.logger)
        }
        handlers.on(ExpenseRecorded.self) { expense, context in
            try await context.connection.query("""
                INSERT INTO expenses (clinic_id, expense_id, category, amount, currency, incurred_on)
                VALUES (\(context.envelope.clinicId), \(expense.expenseId), \(expense.category), \(expense.amount.amount),
                        \(expense.amount.currency), \(expense.incurredOn.description)::date)
                ON CONFLICT (clinic_id, expense_id) DO NOTHING
                """, logger: context.logger)
        }
    }

    static func recordCharges(
        _ charges: [(event: ChargeRecorded, envelope: EventEnvelope)], _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        try await connection.query("""
            INSERT INTO open_charges (clinic_id, charge_id, patient_id, service_date, amount, currency)
            SELECT * FROM unnest(\(charges.map(\.envelope.clinicId)), \(charges.map(\.event.chargeId)),
                                 \(charges.map(\.event.patientId)), \(charges.map(\.event.serviceDate.description))::date[],
                                 \(charges.map(\.event.fee.amount)), \(charges.map(\.event.fee.currency)))
            ON CONFLICT (clinic_id, charge_id) DO NOTHING
            """, logger: logger)
    }

    /// Balances arrive with a version; an older one than held (a retry overtaken by later changes) is
    /// ignored, so the read model never goes back in time. One row per balance: the newest version wins.
    static func applyBalances(
        _ changes: [(event: BalanceChanged, envelope: EventEnvelope)], _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        var newest: [String: (event: BalanceChanged, clinicId: String)] = [:]
        for (change, envelope) in changes {
            let key = "\(envelope.clinicId)\u{0}\(change.patientId)\u{0}\(change.balance.currency)"
            if (newest[key]?.event.version ?? Int64.min) < change.version { newest[key] = (change, envelope.clinicId) }
        }
        let rows = Array(newest.values)
        try await connection.query("""
            INSERT INTO patient_balances (clinic_id, patient_id, currency, balance, version)
            SELECT * FROM unnest(\(rows.map(\.clinicId)), \(rows.map(\.event.patientId)), \(rows.map(\.event.balance.currency)),
                                 \(rows.map(\.event.balance.amount)), \(rows.map(\.event.version)))
            ON CONFLICT (clinic_id, patient_id, currency) DO UPDATE
            SET balance = EXCLUDED.balance, version = EXCLUDED.version
            WHERE patient_balances.version < EXCLUDED.version
            """, logger: logger)
        // Charges are aged from open_charges; every other change (a write-off, later a payment) ages too.
        let others = changes.filter { ![.chargeRecorded, .chargeReversed].contains($0.event.cause.kind) }
        guard !others.isEmpty else { return }
        try await connection.query("""
            INSERT INTO other_balance_changes (clinic_id, event_id, patient_id, currency, change, occurred_on)
            SELECT * FROM unnest(\(others.map(\.envelope.clinicId)), \(others.map(\.envelope.id)),
                                 \(others.map(\.event.patientId)), \(others.map(\.event.change.currency)),
                                 \(others.map(\.event.change.amount)),
                                 \(others.map { CalendarDate(containing: $0.envelope.time.date).description })::date[])
            ON CONFLICT (clinic_id, event_id) DO NOTHING
            """, logger: logger)
    }
}
