// swift-tools-version:6.1
import PackageDescription

/// One list of settings for every target: Swift 6 language mode and the upcoming features we hold ourselves to.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let log = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let postgres = Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let jwt = Target.Dependency.product(name: "JWTKit", package: "jwt-kit")
let httpClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")

/// A service is a library (domain, store, handlers, routes) plus a one-file executable named as the product.
func service(_ name: String, folder: String, extra: [Target.Dependency]) -> [Target] {
    [
        .target(
            name: "\(folder)Service",
            dependencies: [
                "Contracts", "ServiceRuntime", "WebAPI", "Privacy", "Documents", "Storage", "Messaging",
                log, postgres, hummingbird,
            ] + extra,
            path: "Services/\(folder)",
            exclude: ["Main"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: name,
            dependencies: [.target(name: "\(folder)Service"), "ServiceRuntime"],
            path: "Services/\(folder)/Main",
            swiftSettings: swiftSettings
        ),
    ]
}

/// (executable, folder, what the service needs beyond the shared modules): payments talks to Stripe.
let services: [(String, String, [Target.Dependency])] = [
    ("payments", "Payments", [httpClient, crypto]), ("insurance", "Insurance", ["X12", crypto]), ("plans", "Plans", ["Scoring", crypto]),
    ("notifications", "Notifications", []), ("analytics", "Analytics", []),
]

let package = Package(
    name: "ClinicLedger",
    platforms: [.macOS(.v15)],
    products: services.map { .executable(name: $0.0, targets: [$0.0]) }
        + [.executable(name: "contracts-docs", targets: ["contracts-docs"]),
           .executable(name: "insurance-bench", targets: ["insurance-bench"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .target(name: "Contracts", path: "Contracts/Sources", swiftSettings: swiftSettings),
        .executableTarget(
            name: "contracts-docs", dependencies: ["Contracts"], path: "Contracts/Generator",
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CRabbitMQ", path: "Shared/CRabbitMQ", pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .target(
            name: "Messaging", dependencies: ["CRabbitMQ", "Contracts", log],
            path: "Shared/Messaging", swiftSettings: swiftSettings
        ),
        .target(
            name: "Storage", dependencies: [postgres, log, crypto],
            path: "Shared/Storage", swiftSettings: swiftSettings
        ),
        // Pure: field encryption, blind indexes, card-number refusal. No I/O.
        .target(name: "Privacy", dependencies: [crypto], path: "Shared/Privacy", swiftSettings: swiftSettings),
        // Pure: the one propensity-to-pay model of the suite (plans' risk-based terms, analytics' work queue).
        .target(name: "Scoring", path: "Shared/Scoring", swiftSettings: swiftSettings),
        // Pure: X12 5010 interchanges read (separators from the ISA) and written, envelopes checked.
        .target(name: "X12", path: "Shared/X12", swiftSettings: swiftSettings),
        // Pure: a small PDF writer for receipts, statements, agreements and reports.
        .target(name: "Documents", path: "Shared/Documents", swiftSettings: swiftSettings),
        // HTTP for every service: tokens and roles, request context, errors, pages, Idempotency-Key, audit.
        .target(
            name: "WebAPI",
            dependencies: [
                "Contracts", "Storage", "Privacy", log, postgres, hummingbird, jwt, crypto,
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Shared/WebAPI", swiftSettings: swiftSettings
        ),
        .target(
            name: "ServiceRuntime",
            dependencies: [
                "Contracts", "Messaging", "Storage", "WebAPI", "Privacy", log, metrics, lifecycle, postgres, hummingbird,
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Shared/ServiceRuntime", swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "broker-bench", dependencies: ["Messaging", log], path: "Tests/Bench", swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "insurance-bench", dependencies: ["InsuranceService", "Contracts", "X12"], path: "Tests/InsuranceBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlatformTests", dependencies: ["Privacy", "Documents", "WebAPI", "ServiceRuntime", "Storage"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ContractsTests", dependencies: ["Contracts"], swiftSettings: swiftSettings),
        .testTarget(name: "PaymentsTests", dependencies: ["PaymentsService", "Contracts"], swiftSettings: swiftSettings),
        .testTarget(name: "PlansTests", dependencies: ["PlansService", "Contracts", "Documents"], swiftSettings: swiftSettings),
        .testTarget(name: "ScoringTests", dependencies: ["Scoring"], swiftSettings: swiftSettings),
        .testTarget(name: "X12Tests", dependencies: ["X12"], swiftSettings: swiftSettings),
        .testTarget(name: "InsuranceTests", dependencies: ["InsuranceService", "Contracts", "X12"], swiftSettings: swiftSettings),
        .testTarget(name: "AnalyticsTests", dependencies: ["AnalyticsService", "Contracts"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Messaging", "Storage", "ServiceRuntime", "WebAPI", "Contracts", "PaymentsService", postgres, log],
            swiftSettings: swiftSettings
        ),
    ] + services.flatMap { service($0.0, folder: $0.1, extra: $0.2) }
)
