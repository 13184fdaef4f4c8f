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
        .executable(name: "wayside-intake", targets: ["wayside-intake"]),
        .library(name: "WaysideIntake", targets: ["WaysideIntake"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        // Store and forward (issue 10).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.7.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
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
        // The panel (issue 5): buttons, fonts and shaping, speech, fbdev/tty ioctls and zlib.
        .systemLibrary(
            name: "CGPIOD",
            path: "Sources/CGPIOD",
            pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]
        ),
        .systemLibrary(
            name: "CFreeType",
            path: "Sources/CFreeType",
            pkgConfig: "freetype2",
            providers: [.apt(["libfreetype-dev"])]
        ),
        .systemLibrary(
            name: "CHarfBuzz",
            path: "Sources/CHarfBuzz",
            pkgConfig: "harfbuzz",
            providers: [.apt(["libharfbuzz-dev"])]
        ),
        .systemLibrary(
            name: "CEspeak",
            path: "Sources/CEspeak",
            providers: [.apt(["libespeak-ng-dev"])]
        ),
        .systemLibrary(
            name: "CPanelLinux",
            path: "Sources/CPanelLinux",
            providers: [.apt(["linux-libc-dev", "zlib1g-dev"])]
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

        // The second face engine (issue 6): YuNet and SFace on OpenCV 4.6's dnn module
        // (Debian's libopencv-dnn-dev), C++ inside, extern "C" outside; it shares CFaceShim's
        // status codes and face record. Linked module by module: Debian's opencv4.pc comes
        // only with the whole libopencv-dev and lists every module, GUI ones included, which
        // the kiosk would then load at start. Headers live under /usr/include/opencv4.
        .target(
            name: "CFaceOpenCV",
            dependencies: ["CFaceShim"],
            path: "Sources/CFaceOpenCV",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
            linkerSettings: [
                .linkedLibrary("opencv_dnn"), .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_core"),
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
            name: "WaysidePanel",
            dependencies: ["WaysideCore", "CGPIOD", "CFreeType", "CHarfBuzz", "CEspeak", "CPanelLinux"],
            swiftSettings: strict
        ),
        .target(
            name: "WaysideFace",
            dependencies: ["WaysideCore", "WaysideDevices", "WaysideLiveness", "CFaceShim", "CFaceOpenCV"],
            swiftSettings: strict
        ),
        // Liveness (issue 9): head pose, the active challenge, planarity, texture features and
        // their classifier. Pure maths on landmarks and luma: no C module, so its tests build fast.
        .target(
            name: "WaysideLiveness",
            dependencies: ["WaysideCore"],
            swiftSettings: strict
        ),
        // Templates, galleries, 1:1 and 1:N search, calibrated thresholds, decision policy (issue 7).
        .target(
            name: "WaysideMatch",
            dependencies: ["WaysideCore", "WaysideFace"],
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

        // MARK: Store and forward
        .target(
            name: "WaysideWire",
            dependencies: ["WaysideCore", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("openapi.yaml")],
            swiftSettings: strict
        ),
        .target(
            name: "WaysideStore",
            dependencies: [
                "WaysideCore", "WaysideWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "WaysideUplink",
            dependencies: [
                "WaysideCore", "WaysideWire", "WaysideStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "WaysideIntake",
            dependencies: [
                "WaysideCore", "WaysideWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "WaysideStation",
            dependencies: [
                "WaysideCore", "WaysideWire", "WaysideStore", "WaysideUplink", "WaysideMatch",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // MARK: Executables
        .executableTarget(
            name: "wayside",
            dependencies: [
                "WaysideCore", "WaysideBoard", "WaysideDevices", "WaysidePanel", "WaysideDaemon", "WaysideFace",
                "WaysideStore", "WaysideUplink", "WaysideIntake", "WaysideMatch", "WaysideStation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "waysidectl",
            dependencies: [
                "WaysideCore", "WaysideBoard", "WaysideDevices", "WaysidePanel", "WaysideFace", "WaysideMatch",
                "WaysideLiveness", "WaysideWire", "WaysideStore", "WaysideUplink", "WaysideIntake", "WaysideStation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "wayside-intake",
            dependencies: [
                "WaysideIntake",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "wayside-soak",
            dependencies: ["WaysideCore", "WaysideStore", "WaysideUplink"],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "wayside-bench-store",
            dependencies: [
                "WaysideCore", "WaysideWire", "WaysideStore", "WaysideUplink", "WaysideIntake",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Benchmarks/StoreForward",
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
            name: "WaysidePanelTests",
            dependencies: ["WaysidePanel", "WaysideCore", "WaysideDevices", "CPanelLinux"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideFaceTests",
            dependencies: ["WaysideFace", "WaysideDevices", "WaysideLiveness", "WaysideCore", "CFaceShim", "CFaceOpenCV"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideLivenessTests",
            dependencies: ["WaysideLiveness", "WaysideCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideMatchTests",
            dependencies: ["WaysideMatch", "WaysideFace", "WaysideCore"],
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
        .testTarget(
            name: "WaysideVisitTests",
            dependencies: [
                "WaysideTesting", "WaysideCore", "WaysideDevices", "WaysidePanel", "WaysideFace", "WaysideIntake",
                "WaysideUplink", "WaysideStation", "WaysideStore", "WaysideWire",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideStoreTests",
            dependencies: ["WaysideStore", "WaysideWire", "WaysideCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideUplinkTests",
            dependencies: ["WaysideUplink", "WaysideStore", "WaysideWire", "WaysideCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WaysideIntakeTests",
            dependencies: [
                "WaysideTesting", "WaysideIntake", "WaysideUplink", "WaysideStore", "WaysideWire", "WaysideCore", "WaysideStation", "WaysideMatch",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
