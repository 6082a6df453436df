import DataIO
import Foundation
import TensorCore

/// LPIPS v0.1 with the AlexNet backbone (`lpips.LPIPS(net='alex')`, Zhang et al. 2018): the
/// immutable network, shareable between threads and sessions. Per-call buffers live in an
/// `LPIPSSession`; the methods here create a temporary session (use a session in loops).
///
/// For images x, y `[H, W, 3]` in [0, 1] (H, W ≥ `minimumSize`):
///
///     z = ((2x − 1) − shift) / scale,  shift = (−0.030, −0.088, −0.188), scale = (0.458, 0.448, 0.450)
///     f_l = relu_l(AlexNet(z)), l = 1...5 (conv1 11×11/4 p2 → pool 3/2 → conv2 5×5 p2 → pool 3/2 → conv3–5 3×3 p1)
///     LPIPS(x, y) = Σ_l (1/P_l) Σ_p Σ_c w_lc (f̂x_l − f̂y_l)²[p, c],   f̂ = f / (‖f‖₂ over channels + 1e-10)
public struct LPIPS: Sendable {
    /// The five convolutions, weights pre-packed for the GEMM.
    let layers: [ConvLayer]
    let specs: [LPIPSWeights.ConvSpec]
    /// `[C_l]` linear head weights per layer.
    let heads: [[Float]]

    /// The input shift of the scaling layer (in [−1, 1] space), per RGB channel.
    public static let shift: SIMD3<Float> = [-0.030, -0.088, -0.188]
    /// The input scale of the scaling layer, per RGB channel.
    public static let scale: SIMD3<Float> = [0.458, 0.448, 0.450]
    /// Smallest image side AlexNet's five layers accept (conv1 stride 4 → pool → conv2 → pool ≥ 1 pixel).
    public static let minimumSize = 31

    public init(weights: LPIPSWeights) {
        specs = LPIPSWeights.alexNet
        layers = zip(specs.indices, specs).map { i, s in
            ConvLayer(weightOIHW: weights.convWeights[i], bias: weights.convBiases[i], inChannels: s.inChannels,
                      outChannels: s.outChannels, kernel: s.kernel, stride: s.stride, padding: s.padding)
        }
        heads = weights.heads
    }

    /// Loads a weights file (`LPIPSWeights` layout); throws a one-line error naming the file.
    public init(contentsOf url: URL) throws {
        self.init(weights: try LPIPSWeights(contentsOf: url))
    }

    /// The installed network (`LPIPSInstallation.weightsURL`), or nil when it is not installed
    /// (`LPIPSInstallation.unavailableReason` says why). Throws when the file exists but is bad.
    public static func loadInstalled() throws -> LPIPS? {
        guard LPIPSInstallation.unavailableReason == nil else { return nil }
        return try LPIPS(contentsOf: LPIPSInstallation.weightsURL)
    }

    /// LPIPS distance between two images `[H, W, 3]` in [0, 1].
    public func distance(_ x: Tensor, _ y: Tensor) throws -> Float {
        try LPIPSSession(network: self).distance(x, y)
    }

    /// LPIPS distance and its gradient with respect to `x` (`[H, W, 3]`, same [0, 1] space).
    public func distanceAndGradient(_ x: Tensor, _ y: Tensor) throws -> (distance: Float, gradient: [Float]) {
        try LPIPSSession(network: self).distanceAndGradient(x, y)
    }
}

/// Errors of LPIPS inputs; one line each.
public enum LPIPSError: Error, CustomStringConvertible, Equatable {
    case notAnImage(shape: [Int])
    case shapeMismatch([Int], [Int])
    case tooSmall(height: Int, width: Int)
    case notInstalled(String)

    public var description: String {
        switch self {
        case .notAnImage(let s): return "LPIPS: expected an image of shape [H, W, 3], got \(s)"
        case let .shapeMismatch(a, b): return "LPIPS: the two images differ in shape (\(a) vs \(b))"
        case let .tooSmall(h, w): return "LPIPS: image \(w)×\(h) is too small (AlexNet needs at least \(LPIPS.minimumSize)×\(LPIPS.minimumSize))"
        case .notInstalled(let reason): return reason
        }
    }
}
