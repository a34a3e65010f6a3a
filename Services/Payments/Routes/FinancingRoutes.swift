import Contracts
import ServiceRuntime
import WebAPI

/// `GET /v1/financing/lenders`: the outside lenders (CareCredit, Sunbit, …) the practice works with, and
/// where a patient applies for credit. A `financing` payment names one of them.
enum FinancingRoutes {
    struct Lender: APIExample {
        var lender: String
        var applicationUrl: String?

        static let example = Lender(lender: "carecredit", applicationUrl: "https://www.carecredit.com/apply/")
    }

    struct Lenders: APIExample {
        var data: [Lender]
        static let example = Lenders(data: [.example])
    }

    static func add(to api: APIRoutes, _ context: PaymentsContext) {
        api.get("/v1/financing/lenders", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "The practice's financing lenders and their application links", output: Lenders.self) { _ in
            Lenders(data: context.settings.lenders.sorted { $0.key < $1.key }.map {
                Lender(lender: $0.key, applicationUrl: $0.value.isEmpty ? nil : $0.value)
            })
        }
    }
}
