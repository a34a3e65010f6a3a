import Contracts
import Foundation
import Logging
import PostgresNIO

/// Saving a card or bank account with the gateway and on file: the payment-methods route (staff or the
/// patient) and a plan's enrolment page (by event) both come here.
enum MethodSaving {
    enum Failure: Error {
        /// The gateway refused the token (invalid, declined at attach).
        case refused(code: String, message: String)
        /// The gateway did not answer: nothing was saved, try again.
        case unavailable
    }

    /// Saves `token` as `methodId` (the gateway's idempotency key) for the patient, inside the caller's
    /// transaction. The caller publishes `PaymentMethodSaved` and audits.
    static func save(token: String, methodId: String, clinicId: String, patientId: String,
                     authorization: AutoChargeAuthorization?, gateway: any PaymentGateway,
                     connection: PostgresConnection, logger: Logger, now: Date) async throws -> SavedMethod {
        let methods = PaymentMethodStore(connection: connection, logger: logger)
        let customerId = try await methods.customerId(clinicId: clinicId, patientId: patientId, gateway: gateway.name)
        let saved: GatewaySavedMethod
        do {
            saved = try await gateway.saveMethod(GatewaySaveRequest(
                idempotencyKey: methodId, token: token, customerId: customerId,
                metadata: ["clinic_id": clinicId, "patient_id": patientId, "payment_method_id": methodId]))
        } catch GatewayError.invalidRequest(let code, let message) {
            throw Failure.refused(code: code, message: message)
        } catch {
            throw Failure.unavailable
        }
        let method = SavedMethod(
            paymentMethodId: methodId, patientId: patientId, gateway: gateway.name, gatewayMethodId: saved.gatewayMethodId,
            customerId: saved.customerId, kind: saved.kind, brand: saved.brand, last4: saved.last4, expMonth: saved.expMonth,
            expYear: saved.expYear, status: .active, autoCharge: authorization, createdAt: now)
        try await methods.insert(clinicId: clinicId, method)
        return method
    }

    static func savedEvent(_ method: SavedMethod, planId: String? = nil) -> PaymentMethodSaved {
        PaymentMethodSaved(
            paymentMethodId: method.paymentMethodId, patientId: method.patientId, kind: method.kind, brand: method.brand,
            last4: method.last4, expMonth: method.expMonth, expYear: method.expYear, autoCharge: method.autoCharge,
            savedAt: Timestamp(method.createdAt), planId: planId)
    }

    static func auditSummary(_ method: SavedMethod) -> String {
        "\(method.brand ?? method.kind) ending \(method.last4) for patient \(method.patientId)"
            + (method.autoCharge.map { "; auto-charge authorized (\($0.channel))" } ?? "; no auto-charge authorization")
    }
}
