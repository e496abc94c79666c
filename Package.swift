// swift-tools-version: 6.1
// The target graph follows DESIGN.md §2: arrows point from importer to importee, never back.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "mailtrigger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mailtrigger", targets: ["mailtrigger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // CLI wiring only.
        .executableTarget(
            name: "mailtrigger",
            dependencies: [
                "TriggerCore",
                "MailMIME",
                "SystemdSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Config, watchers, state, flows, actions, outbox, services.
        .target(
            name: "TriggerCore",
            dependencies: [
                "IMAPClient",
                "MailMIME",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // One IMAP session over NIO + NIOSSL.
        .target(
            name: "IMAPClient",
            dependencies: [
                "IMAPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // IMAP wire format: no I/O.
        .target(
            name: "IMAPCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // RFC 5322 / MIME parsing: pure.
        .target(
            name: "MailMIME",
            swiftSettings: swiftSettings
        ),
        // libFuzzer targets (scripts/fuzz.sh); without -DFUZZING each is a replay driver.
        .target(
            name: "FuzzSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "MailMIMEFuzz",
            dependencies: ["MailMIME", "FuzzSupport"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "IMAPCoreFuzz",
            dependencies: ["IMAPCore", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // Throughput and memory benchmark for MailMIME (scripts/bench.sh); not a test.
        .executableTarget(
            name: "MIMEBenchmark",
            dependencies: ["MailMIME"],
            swiftSettings: swiftSettings
        ),
        // The webhook path alone (WebhookSender over AsyncHTTPClient) posting one payload N times:
        // the floor of the daemon benchmark's burst (scripts/bench-daemon.sh); not a test.
        .executableTarget(
            name: "WebhookBenchmark",
            dependencies: [
                "TriggerCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SystemdSupport",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // Test-only helpers: a scripted fake IMAP server, certificates, the Dovecot environment.
        .target(
            name: "IMAPTestSupport",
            dependencies: [
                "IMAPCore",
                "IMAPClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // A local webhook receiver for scripts/demo.sh and scripts/bench.sh (not shipped).
        .executableTarget(
            name: "WebhookReceiverTool",
            dependencies: ["IMAPTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IMAPCoreTests",
            dependencies: ["IMAPCore", "IMAPCoreFuzz", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IMAPClientTests",
            dependencies: [
                "IMAPClient", "IMAPCore", "IMAPTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TriggerCoreTests",
            dependencies: [
                "TriggerCore", "IMAPTestSupport", "MailMIME", "IMAPClient", "IMAPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "mailtriggerTests",
            dependencies: [
                "IMAPTestSupport", "IMAPClient", "IMAPCore", "TriggerCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailMIMETests",
            dependencies: ["MailMIME", "MailMIMEFuzz", "FuzzSupport", "IMAPTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SystemdSupportTests",
            dependencies: ["SystemdSupport", "IMAPTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
    ]
)
