// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Crema",
    products: [
        .executable(name: "experiments", targets: ["Experiments"]),
        .executable(name: "benchmarks", targets: ["Benchmarks"]),
        .library(name: "NetDSL", targets: ["NetDSL"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Recipes", targets: ["Recipes"]),
        .library(name: "MPIReplicas", targets: ["MPIReplicas"]),
        // What each libFuzzer target drives (Fuzz/run.sh builds the driver against it).
        .library(name: "FuzzHarnesses", targets: ["FuzzHarnesses"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries, found through pkg-config; the providers name the Debian packages.
        // OpenBLAS is opened at run time (Runtime/Core/BLASLibrary.swift) so its kernels can be
        // chosen before it loads; this module only carries the CBLAS constants.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CLMDB", path: "Sources/CLMDB", pkgConfig: "lmdb",
                       providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // oneDNN's header only: Runtime opens libdnnl at run time (Runtime/OneDNN/OneDNNLibrary.swift).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),

        .target(name: "NetDSL", path: "Sources/NetDSL"),
        // Our own C: libjpeg/libpng calls wrapped in setjmp so a bad image is an error, not an exit.
        .target(name: "CImageSupport", dependencies: ["CJPEG", "CPNG"], path: "Sources/CImageSupport"),
        // Our own SIMD kernels (AVX-512 with a plain fallback, chosen at run time) and flush-to-zero.
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(
            name: "Runtime",
            dependencies: [
                "NetDSL", "CBLAS", "CLMDB", "CPNG", "CJPEG", "CZlib", "CImageSupport", "CKernels", "CDNNL",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            // Compiled with Swift's checks on: everything that parses or decodes a file traps
            // on an overflow rather than writing past a buffer. The hot loops are C (CKernels),
            // OpenBLAS and oneDNN; checks cost nothing measurable in `experiments time` (README).
            path: "Sources/Runtime"
        ),

        // Data-parallel training over MPI: Open MPI opened at run time, only under mpirun.
        .target(name: "MPIReplicas", dependencies: ["Runtime"], path: "Sources/MPIReplicas"),

        // The parsers and decoders as the fuzzers drive them; the suite replays Fuzz/Corpus and
        // Fuzz/Crashers through them.
        .target(name: "FuzzHarnesses", dependencies: ["NetDSL", "Runtime"], path: "Fuzz/Harnesses"),

        // Recipes: one file per recipe; the plugin writes the catalogue so none is listed by hand.
        .executableTarget(name: "RecipeCatalogueTool", path: "Sources/RecipeCatalogueTool"),
        .plugin(name: "RecipeCatalogue", capability: .buildTool(),
                dependencies: ["RecipeCatalogueTool"], path: "Plugins/RecipeCatalogue"),
        .target(name: "Recipes", dependencies: ["NetDSL"], path: "Recipes",
                plugins: ["RecipeCatalogue"]),

        .executableTarget(
            name: "Experiments",
            dependencies: [
                "NetDSL", "Runtime", "Recipes", "MPIReplicas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Experiments"
        ),

        // Throughput benchmarks (release builds): `swift run -c release benchmarks --help`.
        .executableTarget(
            name: "Benchmarks",
            dependencies: ["NetDSL", "Runtime", "Recipes", "MPIReplicas", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks",
            // The peers' Python scripts and reports.
            exclude: ["peers"]
        ),

        .testTarget(name: "NetDSLTests", dependencies: ["NetDSL", "Recipes"], path: "Tests/NetDSLTests"),
        // Recipes that `experiments import` wrote from Caffe's prototxts, checked in and compiled.
        .testTarget(name: "ImportedRecipesTests", dependencies: ["NetDSL", "Runtime", "Recipes"],
                    path: "Tests/ImportedRecipesTests"),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "NetDSL", "Recipes"],
                    path: "Tests/RuntimeTests", exclude: ["Fixtures"]),
        .testTarget(name: "FuzzHarnessesTests", dependencies: ["FuzzHarnesses"], path: "Tests/FuzzHarnessesTests"),
        .testTarget(name: "MPIReplicasTests", dependencies: ["MPIReplicas"], path: "Tests/MPIReplicasTests"),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Runtime", "NetDSL", "Recipes"],
                    path: "Tests/ExperimentsTests", exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
