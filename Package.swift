// swift-tools-version: 6.0
// AudioPlane: real-time audio-driven Gaussian-splatting talking heads on a CPU.
// Layers (a target imports only from layers below it) — see README.md "Modules".
import PackageDescription

/// Release builds need real SIMD code: without `-march=native` Swift lowers SIMD
/// `addingProduct` to one scalar `fmaf` call per lane (~100x slower, DESIGN.md §5).
let numericFlags: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=native", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "AudioPlane",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "audioplane", targets: ["audioplane"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Layer 0: tensors, geometry, camera, threading, RNG.
        .target(name: "TensorCore", exclude: ["README.md"], swiftSettings: numericFlags),
        // System C libraries (Debian -dev packages, installed by scripts/setup.sh).
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CFFTW3f", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CEspeakNG", pkgConfig: "espeak-ng", providers: [.apt(["libespeak-ng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        // Layer 1: generic file formats; neural-network layers; audio front end.
        .target(name: "DataIO", dependencies: ["TensorCore", "CLibPNG", "CTurboJPEG"], exclude: ["README.md"], swiftSettings: numericFlags),
        .target(name: "NeuralNet", dependencies: ["TensorCore"], exclude: ["README.md"], swiftSettings: numericFlags),
        .target(name: "AudioFeatures", dependencies: ["TensorCore", "DataIO", "CFFTW3f", "CEspeakNG"], exclude: ["README.md"], swiftSettings: numericFlags),
        // Layer 2: the differentiable Gaussian-splatting engine.
        .target(name: "Splatting", dependencies: ["TensorCore", "DataIO", "NeuralNet"], exclude: ["README.md"], swiftSettings: numericFlags),
        // Layer 3: the paper's model (audio encoder, Audio-Plane, deformation and dynamism decoders).
        .target(name: "AudioPlane", dependencies: ["TensorCore", "NeuralNet", "Splatting"], exclude: ["README.md"], swiftSettings: numericFlags),
        // Layer 3: losses, optimisation loops, metrics.
        .target(name: "Training", dependencies: ["TensorCore", "NeuralNet", "Splatting", "DataIO", "Perceptual", "AudioFeatures", "AudioPlane"], exclude: ["README.md"], swiftSettings: numericFlags),
        // Layer 1: LPIPS perceptual metric and loss (AlexNet on the GEMM; weights from scripts/install-lpips-weights.sh).
        .target(name: "Perceptual", dependencies: ["TensorCore", "DataIO"], exclude: ["README.md"], swiftSettings: numericFlags),
        // Layer 3: the built-in synthetic talking head (procedural Gaussian head + espeak-ng visemes).
        .target(name: "SyntheticSpeaker", dependencies: ["TensorCore", "DataIO", "Splatting", "AudioFeatures"], exclude: ["README.md"], swiftSettings: numericFlags),
        // Layer 4: the command-line tool (wiring only).
        .executableTarget(
            name: "audioplane",
            dependencies: [
                "TensorCore", "DataIO", "Splatting", "Training", "NeuralNet", "AudioFeatures", "SyntheticSpeaker",
                "Perceptual", "AudioPlane",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"],
            swiftSettings: numericFlags),
        // Test support: tolerance asserts, finite differences, seeded fixtures.
        .target(name: "_TestSupport", dependencies: ["TensorCore"], path: "Sources/_TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "_TestSupport"]),
        .testTarget(name: "DataIOTests", dependencies: ["DataIO", "AudioFeatures", "_TestSupport"]),
        .testTarget(name: "SplattingTests", dependencies: ["Splatting", "DataIO", "_TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Splatting", "NeuralNet", "DataIO", "Perceptual", "AudioPlane", "SyntheticSpeaker", "_TestSupport"]),
        .testTarget(name: "AudioFeaturesTests", dependencies: ["AudioFeatures", "DataIO", "_TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["_TestSupport"]),
        .testTarget(name: "PerceptualTests", dependencies: ["Perceptual", "DataIO", "TensorCore", "_TestSupport"]),
        .testTarget(name: "AudioPlaneTests", dependencies: ["AudioPlane", "NeuralNet", "Splatting", "_TestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "_TestSupport"]),
        .testTarget(name: "SyntheticSpeakerTests", dependencies: ["SyntheticSpeaker", "DataIO", "Splatting", "AudioFeatures", "_TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
