import Contracts
import Foundation
import WebAPI

extension EstimateCalculated: APIExample {}

/// Treatment estimates: ask for one, read them, and the patient's acceptance (a plan may finance it).
enum EstimateRoutes {
    struct EstimateRequest: APIExample {
        var patientId: String
        var procedures: [PlannedProcedure]
        var treatmentPlanId: String?
        static let example = EstimateRequest(patientId: "pat-1001", procedures: TreatmentPlanProposed.example.items,
                                             treatmentPlanId: "tp-300")
    }

    struct EstimateView: APIExample {
        var estimate: EstimateCalculated
        var acceptedAt: Date?
        var acceptedBy: String?

        init(_ stored: CheckStore.StoredEstimate) {
            estimate = stored.estimate
            acceptedAt = stored.acceptedAt
            acceptedBy = stored.acceptedBy
        }

        static let example = EstimateView(CheckStore.StoredEstimate(
            estimate: .example, acceptedAt: Date(timeIntervalSince1970: 1_764_000_000), acceptedBy: "pat-1001"))
    }

    struct Estimates: APIExample {
        var data: [EstimateView]
        static let example = Estimates(data: [.example])
    }

    static func add(to api: APIRoutes, _ context: InsuranceContext) {
        api.write(.post, "/v1/estimates", .staff(.billingRead),
                  summary: "Estimate procedures for a patient: per line the fee, allowed amount, each payer's share, the patient's, and why",
                  idempotent: true, input: EstimateRequest.self, output: EstimateView.self, status: .created) { request, call, change in
            guard !request.procedures.isEmpty else { throw APIError.invalid("procedures must not be empty", param: "procedures") }
            for (index, item) in request.procedures.enumerated() where item.fee.amount < 0 {
                throw APIError.invalid("procedures[\(index)].fee must not be negative", param: "procedures[\(index)].fee")
            }
            guard Set(request.procedures.map(\.fee.currency)).count == 1 else {
                throw APIError.invalid("procedures must all be in one currency", param: "procedures")
            }
            let estimate = try await EstimateFlow.estimate(
                clinicId: call.caller.clinicId, patientId: request.patientId, procedures: request.procedures,
                treatmentPlanId: request.treatmentPlanId, appointmentId: nil, context, &change)
            return EstimateView(CheckStore.StoredEstimate(estimate: estimate.event))
        }

        api.get("/v1/estimates", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "A patient's estimates, newest first", query: [.string("patientId", "the patient", required: true)],
                output: Estimates.self) { call in
            guard let patientId = call.query["patientId"] ?? call.caller.patientId else {
                throw APIError.invalid("patientId is required", param: "patientId")
            }
            try call.caller.requireSee(patientId: patientId)
            let found = try await context.read {
                try await CheckStore(connection: $0.connection, logger: $0.logger).estimates(clinicId: call.caller.clinicId, patientId: patientId)
            }
            return Estimates(data: found.map(EstimateView.init))
        }

        api.get("/v1/estimates/:estimateId", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "One estimate", output: EstimateView.self) { call in
            EstimateView(try await read(call, context))
        }

        api.write(.post, "/v1/estimates/:estimateId/accept", .staffOrOwnPatient(.billingCreate, patient: .ownPlanSign),
                  summary: "Record the patient's acceptance of the estimate (publishes insurance.estimate.accepted.v1)",
                  idempotent: true, input: NoBody.self, output: EstimateView.self) { _, call, change in
            let estimateId = try call.parameter("estimateId")
            _ = try await read(call, context)
            return EstimateView(try await EstimateFlow.accept(clinicId: call.caller.clinicId, estimateId: estimateId,
                                                              by: call.caller.subject, &change))
        }

        addPredetermination(to: api, context)
    }

    struct PredeterminationRequest: APIExample {
        /// Who will do the work (the rendering provider of the predetermination).
        var providerId: String
        static let example = PredeterminationRequest(providerId: "prov-12")
    }

    static func addPredetermination(to api: APIRoutes, _ context: InsuranceContext) {
        api.write(.post, "/v1/estimates/:estimateId/predetermination", .staff(.claimsSubmit),
                  summary: "Ask the primary payer to predetermine the estimate's planned (dental) work: an 837D without service dates",
                  idempotent: true, input: PredeterminationRequest.self, output: ClaimRoutes.ClaimView.self,
                  status: .created) { request, call, change in
            let stored = try await read(call, context)
            let claim = try await ClaimFlow.predetermination(of: stored.estimate, providerId: request.providerId,
                                                             clinicId: call.caller.clinicId, context, &change)
            return ClaimRoutes.ClaimView(claim)
        }
    }

    static func read(_ call: RouteCall, _ context: InsuranceContext) async throws -> CheckStore.StoredEstimate {
        let estimateId = try call.parameter("estimateId")
        let found = try await context.read {
            try await CheckStore(connection: $0.connection, logger: $0.logger).estimate(clinicId: call.caller.clinicId, estimateId: estimateId)
        }
        guard let found else { throw APIError.notFound("estimate", estimateId) }
        try call.caller.requireSee(patientId: found.estimate.patientId, what: "estimate")
        return found
    }
}
