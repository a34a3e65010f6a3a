import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// The payments service's time-dependent work. Each runs once per due time across the replicas that use
/// the same gateway (its name is in the job's: a sandbox replica's janitor never settles Stripe's
/// payments) and reads the service clock, so tests move the clock instead of waiting.
enum PaymentJobs {
    /// Settles payments and refunds whose outcome is not final (unknown, processing ACH, a crash between
    /// the gateway call and its settlement), and charges the payments automatic collections created.
    static func janitor(_ context: PaymentsContext) -> ScheduledJob {
        ScheduledJob(name: "payments.janitor.\(context.collector.gateway.name)",
                     schedule: .every(seconds: context.settings.janitorSeconds)) { _, _ in
            try await context.collector.sweep()
        }
    }

    /// Soft declines of automatic collections, tried again on the schedule (e.g. after 1, 3 and 7 days).
    static func retries(_ context: PaymentsContext) -> ScheduledJob {
        ScheduledJob(name: "payments.retries.\(context.collector.gateway.name)", schedule: .every(seconds: 60)) { _, change in
            try await retryDue(context, &change)
        }
    }

    /// The daily auto-charge run, at the configured clinic-local time.
    static func autoCharge(_ context: PaymentsContext) -> ScheduledJob {
        let settings = context.settings
        return ScheduledJob(name: "payments.auto-charge.\(context.collector.gateway.name)",
                            schedule: .daily(hour: settings.autoChargeHour, minute: settings.autoChargeMinute,
                                             timeZone: settings.timeZone)) { _, change in
            _ = try await AutoChargeRun(gateway: context.collector.gateway.name)
                .run(clinicId: nil, runDate: runDate(change.now, settings), change: &change)
        }
    }

    /// The clinic-local date of `now`: a run at 9:00 in New York belongs to New York's day.
    static func runDate(_ now: Date, _ settings: PaymentsSettings) -> CalendarDate {
        CalendarDate(containing: now, in: settings.timeZone)
    }

    /// Creates the next try of every collection whose retry is due; the janitor charges them. A method
    /// revoked or flagged since is not tried again.
    static func retryDue(_ context: PaymentsContext, _ change: inout Change) async throws {
        let retries = RetryStore(connection: change.connection, logger: change.logger)
        let due = try await retries.takeDue(gateway: context.collector.gateway.name, now: change.now, limit: 200)
        for retry in due {
            let methods = PaymentMethodStore(connection: change.connection, logger: change.logger)
            guard let method = try await methods.load(clinicId: retry.clinicId, paymentMethodId: retry.paymentMethodId),
                  method.status == .active, retry.origin == .plan || method.autoCharge != nil
            else {
                try await retries.giveUp(clinicId: retry.clinicId, collectionKey: retry.collectionKey)
                continue
            }
            let payment = PaymentRecord(
                clinicId: retry.clinicId, paymentId: NewId.make("pay_"),
                patientId: retry.patientId, method: .cardOnFile, origin: retry.origin, amount: retry.amount, status: .processing,
                gateway: context.collector.gateway.name,
                source: StoredSource(gatewayMethodId: method.gatewayMethodId, customerId: method.customerId, offSession: true),
                paymentMethodId: method.paymentMethodId, gatewayChargeId: nil, cardBrand: method.brand, cardLast4: method.last4,
                failure: nil, softDecline: nil, reference: "retry \(retry.attempt) of \(retry.collectionKey)", note: nil,
                planId: retry.planId, installmentId: retry.installmentId, collectionKey: retry.collectionKey,
                attempt: retry.attempt, refunded: 0, createdBy: "system:retries", requestId: nil, createdAt: change.now)
            if try await PaymentStore(connection: change.connection, logger: change.logger).insert(payment, calledGateway: false) {
                try change.audit("collection.retried", objectType: "payment", objectId: payment.paymentId,
                                 summary: "retry \(retry.attempt) of a soft-declined \(retry.amount) (\(retry.collectionKey))",
                                 clinicId: retry.clinicId)
            }
        }
    }
}
