public import Foundation
import JWTKit

/// The claims of a ClinicLedger access token.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var clinic_id: String
    var role: String
    var patient_id: String?
    var exp: ExpirationClaim
    var iss: IssuerClaim?
    var aud: AudienceClaim?

    /// Expiry, issuer and audience are checked by `TokenVerifier`, so that each failure gets its own answer.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// How tokens are checked: the algorithm and key come from configuration. Production takes an EdDSA or
/// RS256 public key; the dev and test environments use an HS256 secret generated under `.run/<env>/`.
public struct TokenSettings: Sendable {
    public enum Key: Sendable {
        case hs256(secret: [UInt8])
        case eddsaPublicKeyPEM(String)
        case rs256PublicKeyPEM(String)
    }
    public var key: Key
    public var issuer: String?
    public var audience: String?

    public init(key: Key, issuer: String? = nil, audience: String? = nil) {
        self.key = key
        self.issuer = issuer
        self.audience = audience
    }
}

/// Turns `Authorization: Bearer …` into a `Caller`, or a 401 that says what is wrong. Expiry is wall time,
/// never the movable service clock.
public struct TokenVerifier: Sendable {
    let keys: JWTKeyCollection
    let settings: TokenSettings

    public init(_ settings: TokenSettings) async throws {
        let keys = JWTKeyCollection()
        switch settings.key {
        case .hs256(let secret):
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        case .eddsaPublicKeyPEM(let pem):
            await keys.add(eddsa: try EdDSA.PublicKey(pem: pem))
        case .rs256PublicKeyPEM(let pem):
            await keys.add(rsa: try Insecure.RSA.PublicKey(pem: pem), digestAlgorithm: .sha256)
        }
        self.keys = keys
        self.settings = settings
    }

    public func caller(authorization: String?, now: Date = Date()) async throws(APIError) -> Caller {
        guard let authorization, !authorization.isEmpty else {
            throw .unauthenticated("token_missing", "send 'Authorization: Bearer <token>' (scripts/dev token prints one for a dev environment)")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthenticated("token_invalid", "the Authorization header must be 'Bearer <token>'")
        }
        let claims: AccessClaims
        do {
            claims = try await keys.verify(String(parts[1]), as: AccessClaims.self)
        } catch {
            throw .unauthenticated("token_invalid", "the token is not valid: its signature, algorithm or claims could not be verified")
        }
        if claims.exp.value <= now { throw .unauthenticated("token_expired", "the token expired at \(claims.exp.value); ask for a new one") }
        if let issuer = settings.issuer, claims.iss?.value != issuer {
            throw .unauthenticated("token_invalid", "the token's issuer is not '\(issuer)'")
        }
        if let audience = settings.audience, claims.aud?.value.contains(audience) != true {
            throw .unauthenticated("token_invalid", "the token is not meant for the audience '\(audience)'")
        }
        guard let role = Role(rawValue: claims.role) else {
            throw .unauthenticated("token_invalid", "the token's role '\(claims.role)' is not one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !claims.clinic_id.isEmpty, !claims.sub.value.isEmpty else {
            throw .unauthenticated("token_invalid", "the token needs 'sub' and 'clinic_id'")
        }
        if role == .patient, (claims.patient_id ?? "").isEmpty {
            throw .unauthenticated("token_invalid", "a patient's token needs 'patient_id'")
        }
        return Caller(subject: claims.sub.value, clinicId: claims.clinic_id, role: role, patientId: claims.patient_id)
    }
}

/// Signs tokens with an HS256 secret, for `<service> token` in dev and test environments.
public enum TokenIssuer {
    public static func token(for caller: Caller, lifetime: TimeInterval, secret: [UInt8], issuer: String? = nil,
                             audience: String? = nil, now: Date = Date()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let claims = AccessClaims(
            sub: SubjectClaim(value: caller.subject), clinic_id: caller.clinicId, role: caller.role.rawValue,
            patient_id: caller.patientId, exp: ExpirationClaim(value: now.addingTimeInterval(lifetime)),
            iss: issuer.map { IssuerClaim(value: $0) }, aud: audience.map { AudienceClaim(value: [$0]) })
        return try await keys.sign(claims)
    }
}
