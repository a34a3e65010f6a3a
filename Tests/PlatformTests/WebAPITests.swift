import Contracts
import Foundation
import Hummingbird
import JWTKit
import PostgresNIO
import Storage
import Testing
@testable import WebAPI

// MARK: - Roles and callers

@Suite struct RoleTableTests {
    static let ownPermissions: Set<Permission> = [.ownRecordsRead, .ownBalancePay, .ownPlanSign]
    static let staffPermissions = Set(Permission.allCases).subtracting(ownPermissions)

    @Test func adminHoldsEveryStaffPermissionAndNoneOfAPatients() {
        #expect(Role.admin.permissions == Self.staffPermissions)
        #expect(Role.admin.permissions.allSatisfy { !$0.rawValue.hasPrefix("own:") })
    }

    @Test func aPatientHoldsOnlyItsOwnNarrowRights() {
        #expect(Role.patient.permissions == Self.ownPermissions)
        #expect(Set(Role.patient.permissions.map(\.rawValue)) == ["own:read", "own:pay", "own:sign"])
        #expect(!Role.patient.permissions.contains(.billingCreate))
        #expect(!Caller(subject: "p", clinicId: "c", role: .patient, patientId: "pat-1").may(.billingCreate))
    }

    @Test func onlyPatientsHoldOwnPermissions() {
        for role in Role.allCases where role != .patient {
            #expect(role.permissions.isDisjoint(with: Self.ownPermissions), "\(role)")
        }
    }

    @Test func billingStaffCannotReadTheAuditTrail() {
        #expect(!Role.billingStaff.permissions.contains(.auditRead))
        #expect(Role.billingStaff.permissions.contains(.billingCreate))
    }

    @Test func anInsuranceSpecialistSubmitsClaims() {
        #expect(Role.insuranceSpecialist.permissions.contains(.claimsSubmit))
        #expect(!Role.billingStaff.permissions.contains(.claimsSubmit))
    }

    @Test func everyPermissionIsHeldBySomeRole() {
        let held = Role.allCases.reduce(into: Set<Permission>()) { $0.formUnion($1.permissions) }
        #expect(Set(Permission.allCases).subtracting(held).isEmpty, "no role holds \(Set(Permission.allCases).subtracting(held))")
    }

    @Test func aPatientSeesOnlyItsOwnDataAndStaffSeeEveryPatients() throws {
        let patient = Caller(subject: "u1", clinicId: "clinic-1", role: .patient, patientId: "pat-1")
        #expect(patient.maySee(patientId: "pat-1"))
        #expect(!patient.maySee(patientId: "pat-2"))
        let stranger = #expect(throws: APIError.self) { try patient.requireSee(patientId: "pat-2") }
        #expect(stranger?.status == .notFound)
        for role in [Role.admin, .billingStaff, .insuranceSpecialist] {
            let staff = Caller(subject: "s", clinicId: "clinic-1", role: role)
            #expect(staff.maySee(patientId: "pat-1") && staff.maySee(patientId: "pat-2"), "\(role)")
        }
        // A patient token without a patient id sees nobody's data.
        #expect(!Caller(subject: "u2", clinicId: "clinic-1", role: .patient).maySee(patientId: "pat-1"))
    }
}

// MARK: - Tokens

@Suite struct TokenTests {
    let secret = Array("platform-tests-hs256-secret-0123456789abcdef".utf8)
    let staff = Caller(subject: "dana@clinic-7", clinicId: "clinic-7", role: .billingStaff)

    func verifier(issuer: String? = nil, audience: String? = nil) async throws -> TokenVerifier {
        try await TokenVerifier(TokenSettings(key: .hs256(secret: secret), issuer: issuer, audience: audience))
    }

    /// The code of the 401 the verifier answers, or nil when it accepts the header.
    func refusal(_ authorization: String?, _ verifier: TokenVerifier) async -> String? {
        do {
            _ = try await verifier.caller(authorization: authorization)
            return nil
        } catch {
            #expect(error.status == .unauthorized)
            #expect(error.headers[.wwwAuthenticate] == "Bearer")
            return error.code
        }
    }

    /// A token with claims TokenIssuer would never write, signed with `secret`.
    func handMade(role: String, patientId: String? = nil, clinicId: String = "clinic-7") async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(AccessClaims(
            sub: SubjectClaim(value: "someone"), clinic_id: clinicId, role: role, patient_id: patientId,
            exp: ExpirationClaim(value: Date().addingTimeInterval(600)), iss: nil, aud: nil))
    }

    @Test func anIssuedTokenVerifiesToTheSameCaller() async throws {
        let verifier = try await verifier()
        for caller in [staff, Caller(subject: "pat-user", clinicId: "clinic-7", role: .patient, patientId: "pat-9")] {
            let token = try await TokenIssuer.token(for: caller, lifetime: 600, secret: secret)
            #expect(try await verifier.caller(authorization: "Bearer \(token)") == caller)
            #expect(try await verifier.caller(authorization: "bearer \(token)") == caller)
        }
    }

    @Test func aMissingHeaderIsTokenMissing() async throws {
        let verifier = try await verifier()
        #expect(await refusal(nil, verifier) == "token_missing")
        #expect(await refusal("", verifier) == "token_missing")
    }

    @Test func anotherSchemeOrNoTokenIsTokenInvalid() async throws {
        let verifier = try await verifier()
        #expect(await refusal("Basic x", verifier) == "token_invalid")
        #expect(await refusal("Bearer", verifier) == "token_invalid")
        #expect(await refusal("Bearer not.a.jwt", verifier) == "token_invalid")
    }

    @Test func aTokenSignedWithAnotherSecretIsTokenInvalid() async throws {
        let token = try await TokenIssuer.token(for: staff, lifetime: 600, secret: Array("another-secret-entirely-0123456789".utf8))
        #expect(await refusal("Bearer \(token)", try await verifier()) == "token_invalid")
    }

    @Test func anExpiredTokenIsTokenExpired() async throws {
        let token = try await TokenIssuer.token(for: staff, lifetime: -5, secret: secret)
        #expect(await refusal("Bearer \(token)", try await verifier()) == "token_expired")
    }

    @Test func anUnknownRoleIsTokenInvalid() async throws {
        let verifier = try await verifier()
        // The hand-made token itself is good: with a known role it verifies.
        #expect(await refusal("Bearer \(try await handMade(role: "billing_staff"))", verifier) == nil)
        #expect(await refusal("Bearer \(try await handMade(role: "superuser"))", verifier) == "token_invalid")
        #expect(await refusal("Bearer \(try await handMade(role: "billing_staff", clinicId: ""))", verifier) == "token_invalid")
    }

    @Test func aPatientTokenWithoutPatientIdIsTokenInvalid() async throws {
        let verifier = try await verifier()
        let withoutId = try await TokenIssuer.token(
            for: Caller(subject: "pat-user", clinicId: "clinic-7", role: .patient), lifetime: 600, secret: secret)
        #expect(await refusal("Bearer \(withoutId)", verifier) == "token_invalid")
        #expect(await refusal("Bearer \(try await handMade(role: "patient", patientId: ""))", verifier) == "token_invalid")
    }

    @Test func aConfiguredIssuerAndAudienceMustMatch() async throws {
        let verifier = try await verifier(issuer: "https://id.clinicledger.test", audience: "clinicledger-api")
        func token(issuer: String?, audience: String?) async throws -> String {
            "Bearer " + (try await TokenIssuer.token(for: staff, lifetime: 600, secret: secret, issuer: issuer, audience: audience))
        }
        #expect(await refusal(try await token(issuer: "https://id.clinicledger.test", audience: "clinicledger-api"), verifier) == nil)
        #expect(await refusal(try await token(issuer: "https://evil.example", audience: "clinicledger-api"), verifier) == "token_invalid")
        #expect(await refusal(try await token(issuer: nil, audience: "clinicledger-api"), verifier) == "token_invalid")
        #expect(await refusal(try await token(issuer: "https://id.clinicledger.test", audience: "other-api"), verifier) == "token_invalid")
        #expect(await refusal(try await token(issuer: "https://id.clinicledger.test", audience: nil), verifier) == "token_invalid")
    }
}

// MARK: - Request bodies and card numbers

@Suite struct CardNumberGuardTests {
    @Test func aTypicalChargeEventIsNotEvenParsed() throws {
        let body = try ContractCoding.encode(ChargePosted.example)
        #expect(!CardNumberGuard.mayContainCardNumber(body))
        #expect(CardNumberGuard.fieldWithCardNumber(inJSON: body) == nil)
    }

    @Test func theFieldHoldingACardNumberIsNamed() {
        #expect(CardNumberGuard.fieldWithCardNumber(inJSON: Array(#"{"name":{"given":"4242 4242 4242 4242"}}"#.utf8)) == "name.given")
        #expect(CardNumberGuard.fieldWithCardNumber(inJSON: Array(#"{"notes":["ok","card 4242-4242-4242-4242"]}"#.utf8)) == "notes[1]")
    }

    /// A payer's claim number of 16 digits passes the Luhn check one time in ten: an X12 interchange handed in
    /// whole is a payer's document and is not scanned; the same digits anywhere else are refused.
    @Test func anX12InterchangeIsAPayersDocument() {
        let isa = "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*CLINICLEDGER   *261125*1200*^*00501*000000042*0*T*:~"
        let x12 = isa + "REF*1K*4242424242424242~"
        #expect(CardNumberGuard.fieldWithCardNumber(inJSON: Array(#"{"content":"\#(x12)"}"#.utf8)) == nil)
        #expect(CardNumberGuard.fieldWithCardNumber(inJSON: Array(#"{"content":"REF*1K*4242424242424242~"}"#.utf8)) == "content")
        // Starting with ISA is not enough: the 106-character header with its 16 separators makes an interchange.
        let fake = "ISA*" + String(repeating: "x", count: 110) + "*4242424242424242~"
        #expect(CardNumberGuard.fieldWithCardNumber(inJSON: Array(#"{"content":"\#(fake)"}"#.utf8)) == "content")
    }

    @Test func idsAreNotCardNumbers() {
        let body = #"{"id":"\#(UUID().uuidString)","patient_id":"\#(UUID().uuidString.lowercased())","request":"\#(UUID().uuidString)"}"#
        #expect(CardNumberGuard.fieldWithCardNumber(inJSON: Array(body.utf8)) == nil)
    }

    /// JSON may write any character as `\uXXXX`: the decoded string is what the service stores, so the
    /// quick look at the raw bytes must not wave an escaped card number through.
    @Test func aCardNumberWrittenWithJSONEscapesIsStillFound() {
        let escapedSpaces = #"{"memo":"4242\u00204242\u00204242\u00204242"}"#
        let escapedDigits = "{\"memo\":\"" + "4242424242424242".unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined() + "\"}"
        for body in [escapedSpaces, escapedDigits] {
            #expect(CardNumberGuard.fieldWithCardNumber(inJSON: Array(body.utf8)) == "memo", "\(body)")
        }
    }
}

@Suite struct RequestBodyTests {
    struct Patient: Codable { var given: String; var family: String }
    struct NewAccount: Codable { var patient: Patient; var amount: Int; var memo: String? }

    func refusal(_ json: String) -> APIError? {
        #expect(throws: APIError.self) { try RequestBodies.decode(NewAccount.self, from: Array(json.utf8)) }
    }

    @Test func aGoodBodyDecodes() throws {
        let value = try RequestBodies.decode(NewAccount.self, from: Array(#"{"patient":{"given":"Ana","family":"López"},"amount":1850}"#.utf8))
        #expect(value.patient.family == "López" && value.amount == 1850 && value.memo == nil)
    }

    @Test func aMissingFieldIsA400NamingIt() {
        let top = refusal(#"{"patient":{"given":"Ana","family":"López"}}"#)
        #expect(top?.status == .badRequest)
        #expect(top?.param == "amount")
        #expect(top?.message.contains("amount") == true)
        let nested = refusal(#"{"patient":{"given":"Ana"},"amount":1}"#)
        #expect(nested?.status == .badRequest)
        #expect(nested?.param == "patient.family")
    }

    @Test func aDuplicateKeyIsA400() {
        let error = refusal(#"{"patient":{"given":"Ana","family":"López"},"amount":1,"amount":100000}"#)
        #expect(error?.status == .badRequest)
        #expect(error?.code == "body_invalid")
        #expect(error?.param == "amount")
    }

    @Test func anEmptyOrBrokenBodyIsA400() {
        #expect(refusal("")?.code == "body_missing")
        #expect(refusal("{\"amount\":")?.status == .badRequest)
    }

    @Test func aCardNumberIsRefusedWithoutRepeatingIt() {
        let error = refusal(#"{"patient":{"given":"Ana","family":"López"},"amount":1,"memo":"paid with 4242 4242 4242 4242"}"#)
        #expect(error?.status == .unprocessableContent)
        #expect(error?.code == "card_number_refused")
        #expect(error?.param == "memo")
        let message = error?.message ?? "4"
        let hasDigits = message.contains { $0.isNumber }
        #expect(!hasDigits, "\(message)")
    }

    @Test func aCardNumberHiddenInJSONEscapesIsRefused() {
        let error = refusal(#"{"patient":{"given":"Ana","family":"López"},"amount":1,"memo":"4242\u00204242\u00204242\u00204242"}"#)
        #expect(error?.code == "card_number_refused")
        #expect(error?.param == "memo")
    }

    /// A duplicated key is reported by name; when that key is a card number, the refusal must still be the
    /// card-number one, which never repeats the digits.
    @Test func aDuplicatedKeyThatIsACardNumberIsNotEchoed() {
        let error = refusal(#"{"4242424242424242":1,"4242424242424242":2}"#)
        #expect(error?.code == "card_number_refused")
        #expect(error.map { !"\($0.message) \($0.param ?? "")".contains("4242") } == true, "\(String(describing: error))")
    }
}

// MARK: - Pages, request ids, OpenAPI

@Suite struct PageRequestTests {
    @Test func theDefaultLimitIs20() throws {
        let page = try PageRequest([:])
        #expect(page.limit == 20)
        #expect(page.startingAfter == nil)
        #expect(try PageRequest(["limit": "100", "starting_after": "chg-9"]).limit == 100)
        #expect(try PageRequest(["limit": "1", "starting_after": ""]).startingAfter == nil)
    }

    @Test(arguments: ["0", "101", "abc", "", "-1", "20.5"])
    func aLimitOutOfRangeIsA400(limit: String) {
        let error = #expect(throws: APIError.self) { try PageRequest(["limit": limit]) }
        #expect(error?.status == .badRequest)
        #expect(error?.param == "limit")
    }

    @Test func aPageSaysWhetherThereIsMore() {
        let more = Page(fetched: [1, 2, 3], limit: 2)
        #expect(more.data == [1, 2] && more.has_more)
        let last = Page(fetched: [1, 2], limit: 2)
        #expect(last.data == [1, 2] && !last.has_more)
    }
}

@Suite struct RequestIdTests {
    static func isNewUUID(_ id: String) -> Bool { UUID(uuidString: id) != nil && id == id.lowercased() }

    @Test(arguments: ["req-123", "3f2a9c1e-0d4b-4f7a-9a51-7c0d9b2e1f00", "abc_DEF.1:2", String(repeating: "a", count: 128)])
    func aSaneHeaderIsKept(header: String) {
        #expect(PlatformMiddleware.requestId(from: header) == header)
    }

    @Test(arguments: ["has spaces", "line\nbreak", "cr\rlf", String(repeating: "a", count: 200), "", "ünïcode", "semi;colon", "a\u{0}b",
                       "4242424242424242", "4242-4242-4242-4242"])
    func anOddHeaderIsReplacedByAUUID(header: String) {
        let id = PlatformMiddleware.requestId(from: header)
        #expect(id != header)
        #expect(Self.isNewUUID(id), "\(id)")
    }

    @Test func noHeaderGetsAFreshUUID() {
        let first = PlatformMiddleware.requestId(from: nil), second = PlatformMiddleware.requestId(from: nil)
        #expect(Self.isNewUUID(first) && Self.isNewUUID(second) && first != second)
    }
}

@Suite struct RouteCatalogTests {
    struct NewAdjustment: APIExample {
        var amount: Int
        var reason: String
        static let example = NewAdjustment(amount: 500, reason: "courtesy")
    }

    struct Adjustment: APIExample {
        var id: String
        var amount: Int
        static let example = Adjustment(id: "adj-1", amount: 500)
    }

    @Test func pathParametersAreWrittenTheOpenAPIWay() {
        #expect(RouteCatalog.openAPIPath("/v1/patients/:patientId/account") == "/v1/patients/{patientId}/account")
        #expect(RouteCatalog.openAPIPath("/v1/charges") == "/v1/charges")
        #expect(RouteCatalog.pathParameters("/v1/patients/:patientId/plans/:planId") == ["patientId", "planId"])
    }

    /// As `OperatorCommands.catalog` does: the routes are declared on a router, over a client that never runs.
    @Test func anIdempotentWriteDocumentsItsKeyHeaderAndPermission() throws {
        let client = PostgresClient(configuration: DatabaseSettings(user: "nobody", password: "unused").clientConfiguration)
        let runner = ChangeRunner(service: "payments", client: client, clock: .wall, logger: .init(label: "test"), afterCommit: {})
        let catalog = RouteCatalog(service: "payments")
        let api = APIRoutes(router: Router(context: ClinicRequestContext.self), runner: runner, catalog: catalog)
        api.write(.post, "/v1/patients/:patientId/adjustments", .staff(.billingUpdate), summary: "Adjust a balance",
                  idempotent: true, input: NewAdjustment.self, output: Adjustment.self, status: .created) { input, _, _ in
            Adjustment(id: "adj-2", amount: input.amount)
        }
        api.get("/v1/patients/:patientId/adjustments", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "List adjustments", query: QueryParameter.paging, output: Adjustment.self) { _ in .example }

        let document = catalog.document()
        let path = try #require(document["paths"]?["/v1/patients/{patientId}/adjustments"])
        let post = try #require(path["post"])
        #expect(post["x-permission"] == "billing:update")
        #expect(post["requestBody"]?["content"]?["application/json"]?["schema"] != nil)
        #expect(post["responses"]?["201"] != nil)
        guard case .array(let parameters)? = post["parameters"] else {
            Issue.record("the write documents no parameters: \(post)")
            return
        }
        let key = parameters.first { $0["name"] == "Idempotency-Key" }
        #expect(key?["in"] == "header")
        #expect(key?["required"] == true)
        #expect(parameters.contains { $0["name"] == "patientId" && $0["in"] == "path" })

        let get = try #require(path["get"])
        #expect(get["x-permission"] == "billing:read")
        #expect(get["x-patient-permission"] == "own:read")
        guard case .array(let getParameters)? = get["parameters"] else {
            Issue.record("the read documents no parameters: \(get)")
            return
        }
        #expect(!getParameters.contains { $0["name"] == "Idempotency-Key" })
        #expect(getParameters.contains { $0["name"] == "limit" && $0["in"] == "query" })
    }
}
