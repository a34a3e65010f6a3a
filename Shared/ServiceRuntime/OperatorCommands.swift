import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Storage
import WebAPI

/// `<service> audit verify`, `<service> token …`, `<service> openapi`: what an operator or a developer
/// runs beside the service, with the service's own configuration.
enum OperatorCommands {
    static func run(_ arguments: [String], _ definition: ServiceDefinition, _ configuration: ServiceConfiguration) async throws {
        switch arguments.first {
        case "audit":
            guard arguments.dropFirst().first == "verify" else { throw CommandError("usage: \(definition.name) audit verify") }
            try await verifyAudit(definition, configuration)
        case "token":
            print(try await token(Array(arguments.dropFirst()), configuration))
        default:
            FileHandle.standardOutput.write(Data(try OpenAPIText.render(catalog(of: definition, configuration))))
        }
    }

    /// Prints `ok N rows` (exit 0) or the first row that does not match (exit 1).
    static func verifyAudit(_ definition: ServiceDefinition, _ configuration: ServiceConfiguration) async throws {
        let logger = {
            var logger = Logger(label: "clinicledger.\(definition.name).audit")
            logger.logLevel = .warning  // the pool's own chatter as the command ends is not the verdict
            return logger
        }()
        let client = PostgresClient(configuration: configuration.database.clientConfiguration, backgroundLogger: logger)
        let verdict = try await withThrowingTaskGroup(of: AuditLog.Verdict?.self) { group in
            group.addTask { await client.run(); return nil }
            group.addTask { try await AuditLog.verify(client: client, logger: logger) }
            defer { group.cancelAll() }
            while let result = try await group.next() { if let result { return result } }
            throw CommandError("the audit check ended without a verdict")
        }
        switch verdict {
        case .ok(let rows):
            print("\(definition.name): audit ok \(rows) rows")
        case .broken(let seq, let position, let reason):
            print("\(definition.name): audit BROKEN at row id \(seq) (chain position \(position)): \(reason)")
            exit(1)
        }
    }

    /// A token for the environment's HS256 secret: `--role R --clinic C [--patient P] [--subject S] [--ttl 1h]`.
    static func token(_ arguments: [String], _ configuration: ServiceConfiguration) async throws -> String {
        guard case .hs256(let secret) = configuration.tokens.key else {
            throw CommandError("tokens can be printed only with an HS256 secret (dev and test); production tokens come from the identity provider")
        }
        var options: [String: String] = [:]
        var rest = arguments[...]
        while let name = rest.popFirst() {
            guard name.hasPrefix("--"), let value = rest.popFirst() else { throw CommandError("expected --name value, got '\(name)'") }
            options[String(name.dropFirst(2))] = value
        }
        guard let roleName = options["role"], let role = Role(rawValue: roleName) else {
            throw CommandError("--role is one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let clinic = options["clinic"], !clinic.isEmpty else { throw CommandError("--clinic CLINIC_ID is required") }
        if role == .patient, options["patient"] == nil { throw CommandError("a patient's token needs --patient PATIENT_ID") }
        let lifetime = try duration(options["ttl"] ?? "1h")
        let caller = Caller(subject: options["subject"] ?? "\(role.rawValue)@\(clinic)", clinicId: clinic, role: role,
                            patientId: options["patient"])
        return try await TokenIssuer.token(for: caller, lifetime: lifetime, secret: secret,
                                           issuer: configuration.tokens.issuer, audience: configuration.tokens.audience)
    }

    /// `90s`, `30m`, `1h`, `2d` (a negative lifetime such as `-5s` makes an expired token, for tests).
    static func duration(_ text: String) throws -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        guard let unit = text.last, let scale = units[unit], let value = Double(text.dropLast()) else {
            throw CommandError("--ttl is like 5s, 30m, 1h or 2d, not '\(text)'")
        }
        return value * scale
    }

    /// The routes as the running service declares them, without starting it.
    static func catalog(of definition: ServiceDefinition, _ configuration: ServiceConfiguration) -> RouteCatalog {
        let logger = Logger(label: "clinicledger.\(definition.name).openapi")
        let client = PostgresClient(configuration: configuration.database.clientConfiguration, backgroundLogger: logger)
        let router = Router(context: ClinicRequestContext.self)
        let catalog = RouteCatalog(service: definition.name)
        let runner = ChangeRunner(service: definition.name, client: client, clock: .wall, logger: logger, afterCommit: {})
        HealthRoutes.document(in: catalog)
        ServiceHost.addRoutes(definition, api: APIRoutes(router: router, runner: runner, catalog: catalog), resources: ServiceResources(
            client: client, logger: logger, clock: .wall, cipher: configuration.cipher, blindIndex: configuration.blindIndex,
            runner: runner, separateClient: client))
        return catalog
    }
}
