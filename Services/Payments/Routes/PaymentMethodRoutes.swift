import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// `POST/GET /v1/patients/{patientId}/payment-methods`, `DELETE …/{paymentMethodId}`: cards and bank
/// accounts on file, saved with the gateway (a token, brand, last 4, expiry — never a number), with the
/// patient's authorization for automatic charges.
enum PaymentMethodRoutes {
    struct SaveRequest: APIExample {
        /// A one-time token from the gateway's card or bank form.
        var token: String
        /// The patient's permission to charge it automatically; without it the method is only used when
        /// someone pays with it.
        var autoCharge: Authorization?

        struct Authorization: Codable, Sendable {
            var consentText: String
            /// `in_person`, `portal`, `phone` or `paper`.
            var channel: String
            var maximumPerCharge: Money?
        }

        static let example = SaveRequest(token: "tok_visa", autoCharge: Authorization(
            consentText: "I authorize Bright Smiles Dental to charge this card for balances due.", channel: "in_person",
            maximumPerCharge: Money(amount: 50_000, currency: "USD")))
    }

    struct Method: APIExample {
        var id: String
        var patientId: String
        var kind: String
        var brand: String?
        var last4: String
        var expMonth: Int?
        var expYear: Int?
        var status: PaymentMethodStatus
        var autoCharge: AutoChargeAuthorization?
        var createdAt: String

        static let example = Method(
            id: "pm_4f2b6c8d0e1f2a3b4c5d6e7f", patientId: "pat-1001", kind: "card", brand: "visa", last4: "4242", expMonth: 12,
            expYear: 2034, status: .active, autoCharge: PaymentMethodSaved.example.autoCharge, createdAt: "2026-11-25T09:00:01.000Z")

        init(id: String, patientId: String, kind: String, brand: String?, last4: String, expMonth: Int?, expYear: Int?,
             status: PaymentMethodStatus, autoCharge: AutoChargeAuthorization?, createdAt: String) {
            self.id = id
            self.patientId = patientId
            self.kind = kind
            self.brand = brand
            self.last4 = last4
            self.expMonth = expMonth
            self.expYear = expYear
            self.status = status
            self.autoCharge = autoCharge
            self.createdAt = createdAt
        }

        init(_ m: SavedMethod) {
            self.init(id: m.paymentMethodId, patientId: m.patientId, kind: m.kind, brand: m.brand, last4: m.last4,
                      expMonth: m.expMonth, expYear: m.expYear, status: m.status, autoCharge: m.autoCharge,
                      createdAt: Timestamp(m.createdAt).description)
        }
    }

    struct Methods: APIExample {
        var data: [Method]
        static let example = Methods(data: [.example])
    }

    static let channels: Set<String> = ["in_person", "portal", "phone", "paper"]

    static func add(to api: APIRoutes, _ context: PaymentsContext) {
        let path = "/v1/patients/:patientId/payment-methods"
        api.write(.post, path, .staffOrOwnPatient(.billingUpdate, patient: .ownBalancePay),
                  summary: "Save a card or bank account on file, with the patient's authorization for automatic charges",
                  idempotent: true, input: SaveRequest.self, output: Method.self, status: .created) { request, call, change in
            let clinicId = call.caller.clinicId
            let patientId = try call.parameter("patientId")
            guard TokenKind.isCardToken(request.token) || TokenKind.isBankToken(request.token) else {
                throw APIError.unprocessable("'\(request.token)' is not a card (tok_…) or bank account (btok_…) token",
                                             param: "token", code: "token_wrong_kind")
            }
            guard let balance = try await AdjustmentStore(connection: change.connection, logger: change.logger)
                .balance(clinicId: clinicId, patientId: patientId)
            else { throw APIError.notFound("account for patient", patientId) }
            if let authorization = request.autoCharge {
                if authorization.consentText.trimmingCharacters(in: .whitespacesAndNewlines).count < 10 {
                    throw APIError.unprocessable("autoCharge.consentText must be the words the patient agreed to",
                                                 param: "autoCharge.consentText", code: "authorization_invalid")
                }
                if !channels.contains(authorization.channel) {
                    throw APIError.unprocessable("autoCharge.channel must be one of \(channels.sorted().joined(separator: ", "))",
                                                 param: "autoCharge.channel", code: "authorization_invalid")
                }
                if let maximum = authorization.maximumPerCharge,
                   let problem = ChargeRules.moneyProblems(maximum, field: "autoCharge.maximumPerCharge").first
                    ?? (maximum.currency == balance.currency ? nil : "autoCharge.maximumPerCharge is not in \(balance.currency)") {
                    throw APIError.unprocessable(problem, param: "autoCharge.maximumPerCharge", code: "authorization_invalid")
                }
            }
            guard let methodId = call.idempotentId(prefix: "pm_") else { throw APIError.server(requestId: call.requestId) }
            let authorization = request.autoCharge.map {
                AutoChargeAuthorization(consentText: $0.consentText, authorizedBy: call.caller.subject,
                                        authorizedAt: Timestamp(change.now), channel: $0.channel, maximumPerCharge: $0.maximumPerCharge)
            }
            let method: SavedMethod
            do {
                method = try await MethodSaving.save(
                    token: request.token, methodId: methodId, clinicId: clinicId, patientId: patientId, authorization: authorization,
                    gateway: context.collector.gateway, connection: change.connection, logger: change.logger, now: change.now)
            } catch MethodSaving.Failure.refused(let code, let message) {
                throw APIError.unprocessable(message, param: "token", code: code)
            } catch MethodSaving.Failure.unavailable {
                throw APIError(.badGateway, type: "api_error", code: "gateway_unavailable",
                               message: "the payment gateway did not answer; nothing was saved, try again")
            }
            try change.publish(MethodSaving.savedEvent(method), aggregateId: patientId)
            try change.audit("payment-method.saved", objectType: "payment-method", objectId: methodId,
                             summary: MethodSaving.auditSummary(method))
            return Method(method)
        }

        api.get(path, .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "A patient's saved cards and bank accounts", output: Methods.self) { call in
            let patientId = try call.parameter("patientId")
            return try await context.resources.client.withConnection { connection in
                Methods(data: try await PaymentMethodStore(connection: connection, logger: context.resources.logger)
                    .list(clinicId: call.caller.clinicId, patientId: patientId).map(Method.init))
            }
        }

        api.write(.delete, path + "/:paymentMethodId", .staffOrOwnPatient(.billingUpdate, patient: .ownBalancePay),
                  summary: "Revoke a saved method: it is never charged again", idempotent: false,
                  input: NoBody.self, output: Method.self) { _, call, change in
            let patientId = try call.parameter("patientId")
            let methodId = try call.parameter("paymentMethodId")
            let methods = PaymentMethodStore(connection: change.connection, logger: change.logger)
            guard let method = try await methods.load(clinicId: call.caller.clinicId, paymentMethodId: methodId),
                  method.patientId == patientId
            else { throw APIError.notFound("payment method", methodId) }
            var revoked = method
            revoked.status = .revoked
            if method.status != .revoked {
                _ = try await methods.setStatus(clinicId: call.caller.clinicId, paymentMethodId: methodId, .revoked, at: change.now)
                if method.status == .active {
                    try change.publish(PaymentMethodRevoked(paymentMethodId: methodId, patientId: patientId, reason: "revoked",
                                                            revokedAt: Timestamp(change.now)), aggregateId: patientId)
                }
                try change.audit("payment-method.revoked", objectType: "payment-method", objectId: methodId,
                                 summary: "\(method.brand ?? method.kind) ending \(method.last4) of patient \(patientId) revoked")
            }
            return Method(revoked)
        }
    }
}
