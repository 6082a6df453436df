import DataIO
import Foundation
import TensorCore

/// The parameters of LPIPS v0.1 with the AlexNet backbone, in PyTorch layout, as stored in the
/// safetensors file written by `scripts/convert_lpips_weights.py`:
///
///     conv{l}.weight [Cout, Cin, k, k], conv{l}.bias [Cout]     l = 1...5 (AlexNet `features`)
///     lin{l}.weight  [1, C_l, 1, 1]                              the non-negative linear heads
public struct LPIPSWeights: Sendable {
    /// One AlexNet convolution: shape and hyper-parameters.
    public struct ConvSpec: Sendable {
        public let inChannels, outChannels, kernel, stride, padding: Int
        /// Whether a 3×3/2 max pool follows the ReLU (after conv1 and conv2).
        public let poolAfter: Bool
    }

    /// AlexNet conv1–conv5 as used by LPIPS (torchvision `alexnet().features` up to relu5).
    public static let alexNet: [ConvSpec] = [
        ConvSpec(inChannels: 3, outChannels: 64, kernel: 11, stride: 4, padding: 2, poolAfter: true),
        ConvSpec(inChannels: 64, outChannels: 192, kernel: 5, stride: 1, padding: 2, poolAfter: true),
        ConvSpec(inChannels: 192, outChannels: 384, kernel: 3, stride: 1, padding: 1, poolAfter: false),
        ConvSpec(inChannels: 384, outChannels: 256, kernel: 3, stride: 1, padding: 1, poolAfter: false),
        ConvSpec(inChannels: 256, outChannels: 256, kernel: 3, stride: 1, padding: 1, poolAfter: false),
    ]

    /// `[Cout, Cin, k, k]` per layer.
    public var convWeights: [[Float]]
    /// `[Cout]` per layer.
    public var convBiases: [[Float]]
    /// `[C_l]` per layer (the 1×1 heads' weights).
    public var heads: [[Float]]

    public init(convWeights: [[Float]], convBiases: [[Float]], heads: [[Float]]) {
        self.convWeights = convWeights; self.convBiases = convBiases; self.heads = heads
    }

    /// Reads the named tensors from an archive, checking every shape; `path` names the file in errors.
    public init(archive: SafetensorsArchive, path: String) throws {
        var w: [[Float]] = [], b: [[Float]] = [], h: [[Float]] = []
        for (i, s) in Self.alexNet.enumerated() {
            w.append(try archive.floats("conv\(i + 1).weight", shape: [s.outChannels, s.inChannels, s.kernel, s.kernel], path: path))
            b.append(try archive.floats("conv\(i + 1).bias", shape: [s.outChannels], path: path))
            h.append(try archive.floats("lin\(i + 1).weight", shape: [1, s.outChannels, 1, 1], path: path))
        }
        self.init(convWeights: w, convBiases: b, heads: h)
    }

    /// Reads a weights file (see the type's description).
    public init(contentsOf url: URL) throws {
        try self.init(archive: Safetensors.read(url), path: url.path)
    }

    /// The archive `init(archive:)` reads (F32 tensors, PyTorch layout).
    public func archive(metadata: [String: String] = [:]) -> SafetensorsArchive {
        var a = SafetensorsArchive(metadata: metadata)
        for (i, s) in Self.alexNet.enumerated() {
            a.tensors["conv\(i + 1).weight"] = .init(shape: [s.outChannels, s.inChannels, s.kernel, s.kernel], float32: convWeights[i])
            a.tensors["conv\(i + 1).bias"] = .init(shape: [s.outChannels], float32: convBiases[i])
            a.tensors["lin\(i + 1).weight"] = .init(shape: [1, s.outChannels, 1, 1], float32: heads[i])
        }
        return a
    }

    /// Random weights of the right shapes (He-scaled convolutions, small positive biases and heads)
    /// for tests that need no download, e.g. finite-difference checks.
    public static func random(seed: UInt64) -> LPIPSWeights {
        var rng = SeededRandom(seed: seed)
        var w: [[Float]] = [], b: [[Float]] = [], h: [[Float]] = []
        for s in alexNet {
            let fanIn = Float(s.inChannels * s.kernel * s.kernel)
            let scale = (2 / fanIn).squareRoot()
            w.append((0..<(s.outChannels * s.inChannels * s.kernel * s.kernel)).map { _ in rng.normal() * scale })
            b.append((0..<s.outChannels).map { _ in rng.uniform(0, 0.1) })
            h.append((0..<s.outChannels).map { _ in rng.uniform(0, 0.2) })
        }
        return LPIPSWeights(convWeights: w, convBiases: b, heads: h)
    }
}

/// Where the installed weights and calibration data live (`scripts/install-lpips-weights.sh`).
public enum LPIPSInstallation {
    /// `AUDIOPLANE_LPIPS_WEIGHTS` when set, else `${XDG_CACHE_HOME:-~/.cache}/audioplane/lpips-alex-v0.1.safetensors`.
    public static var weightsURL: URL {
        let env = ProcessInfo.processInfo.environment
        if let path = env["AUDIOPLANE_LPIPS_WEIGHTS"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return cacheFolder.appendingPathComponent("lpips-alex-v0.1.safetensors")
    }

    /// `${XDG_CACHE_HOME:-~/.cache}/audioplane/lpips-calibration`: `ref/` and `dist/` PNG pairs and
    /// `published.csv` (`name,lpips`), from pyiqa 0.1.16's `ResultsCalibra`.
    public static var calibrationFolder: URL { cacheFolder.appendingPathComponent("lpips-calibration") }

    /// `${XDG_CACHE_HOME:-~/.cache}/audioplane`.
    public static var cacheFolder: URL {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("audioplane")
    }

    /// The one-line install hint used in messages.
    public static let installHint = "run scripts/install-lpips-weights.sh, needs network once"

    /// Nil when the weights file exists; otherwise one line saying why LPIPS is unavailable.
    public static var unavailableReason: String? {
        let url = weightsURL
        if FileManager.default.fileExists(atPath: url.path) { return nil }
        return "LPIPS unavailable: no weights at \(url.path) (\(installHint))"
    }
}
