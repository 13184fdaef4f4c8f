// swift-tools-version:6.1
// Wayside: an open kiosk appliance for Linux boards.
// The arrows point one way: executables -> adapters (Devices, Face, Store, ...) -> WaysideCore.
// Only adapter targets import C modules; WaysideCore imports none.
import PackageDescription

/// Swift 6 language mode with complete checking everywhere.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Wayside",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wayside", targets: ["wayside"]),
        .executable(name: "waysidectl", targets: ["waysidectl"]),
        .library(name: "WaysideCore", targets: ["WaysideCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
    ],
    targets: [
        // MARK: C system libraries (Debian -dev packages)
        .systemLibrary(
            name: "CJPEG",
            path: "Sources/CJPEG",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        .systemLibrary(
            name: "CV4L2",
            path: "Sources/CV4L2",
            providers: [.apt(["libv4l-dev"])]
        ),

        // C++ inside, extern "C" outside: dlib (Debian's libdlib-dev, config.h carries
        // DLIB_USE_BLAS/DLIB_USE_LAPACK/DLIB_JPEG_SUPPORT) linked against OpenBLAS.
        .target(
            name: "CFaceShim",
            path: "Sources/CFaceShim",
            linkerSettings: [
                .linkedLibrary("dlib"), .linkedLibrary("openblas"), .linkedLibrary("lapack"),
                .linkedLibrary("jpeg"), .linkedLibrary("png"),
            ]
        ),

        // MARK: Domain and seams
        .target(
            name: "WaysideCore",
            dependencies: [],
            resources: [.copy("Messages"), .copy("Keyboard")],
            swiftSettings: strict
        ),
        .target(
            name: "WaysideBoard",
            dependencies: ["WaysideCore", "TOMLKit"],
            swiftSettings: strict
        ),

        // MARK: Adapters
        .target(
            name: "WaysideDevices",
            dependencies: [
                "WaysideCore", "CJPEG", "CV4L2",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "WaysideFace",
            dependencies: ["WaysideCore", "CFaceShim"],
            swiftSettings: strict
        ),
        .target(
            name: "WaysideDaemon",
            dependencies: [
                "WaysideCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "WaysideTesting",
            dependencies: ["WaysideCore"],
            swiftSettings: strict
        ),

        // MARK: Executables
        .executableTarget(
            name: "wayside",
            dependencies: [
                "WaysideCore", "WaysideBoard", "WaysideDevices", "WaysideDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "waysidectl",
            dependencies: [
                "WaysideCore", "WaysideBoard", "WaysideDevices", "WaysideFace",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // MARK: Tests
        .testTarget(
            name: "WaysideCoreTests",
            dependencies: ["WaysideCore", "WaysideTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideBoardTests",
            dependencies: ["WaysideBoard"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideDevicesTests",
            dependencies: ["WaysideDevices", "WaysideTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideFaceTests",
            dependencies: ["WaysideFace", "CFaceShim"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideDaemonTests",
            dependencies: [
                "WaysideDaemon", "WaysideTesting", "WaysideDevices",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)
