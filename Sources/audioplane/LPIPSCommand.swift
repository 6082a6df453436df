import ArgumentParser
import DataIO
import Foundation
import Perceptual
import TensorCore

/// `audioplane lpips A.png B.png [--layers] [--bench]`: the LPIPS (v0.1, AlexNet) distance between two
/// images of equal size; `--bench` times LPIPS and the GEMM (`LPIPSBenchmark`).
struct LPIPSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lpips",
        abstract: "LPIPS perceptual distance (v0.1, AlexNet) between two PNG images of equal size.",
        discussion: "Needs the weights installed by scripts/install-lpips-weights.sh (or AUDIOPLANE_LPIPS_WEIGHTS=<file>).")

    @Argument(help: "Two PNG images of the same size (at least 31x31).")
    var images: [String] = []

    @Flag(name: .long, help: "Also print the five per-layer terms.")
    var layers = false

    @Flag(name: .long, help: "Time LPIPS (512x512 forward, 128x128 forward+backward) and the GEMM.")
    var bench = false

    func validate() throws {
        guard images.count == 2 || (bench && images.isEmpty) else {
            throw ValidationError("give two images (A.png B.png), or --bench alone")
        }
    }

    func run() throws {
        if images.count == 2 { try compare() }
        if bench { print(LPIPSBenchmark.run()) }
    }

    private func compare() throws {
        guard let network = try LPIPS.loadInstalled() else {
            throw LPIPSError.notInstalled(LPIPSInstallation.unavailableReason ?? "LPIPS unavailable")
        }
        let a = try PNGFile.read(URL(fileURLWithPath: images[0]), channels: 3)
        let b = try PNGFile.read(URL(fileURLWithPath: images[1]), channels: 3)
        guard a.width == b.width, a.height == b.height else {
            throw ValidationError("\(images[1]): size \(b.width)x\(b.height) differs from \(images[0]) (\(a.width)x\(a.height))")
        }
        let session = LPIPSSession(network: network)
        let shape = [a.height, a.width, 3]
        let d = try session.distance(Tensor(shape: shape, data: a.rgbFloats), Tensor(shape: shape, data: b.rgbFloats))
        print(String(format: "%.6f", d))
        if layers {
            for (l, v) in session.layerDistances.enumerated() { print(String(format: "  relu%d %.6f", l + 1, v)) }
        }
    }
}
