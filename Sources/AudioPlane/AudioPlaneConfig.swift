import NeuralNet

/// Every hyper-parameter of the Audio-Plane model (DESIGN.md §3), including the ablation switches
/// of tables 1–3. `Codable`: this is what a model's `config.json` stores.
public struct AudioPlaneConfig: Codable, Equatable, Sendable {
    /// `plane`: the Audio-Plane (eq. 4–6). `concat` ("w/o A"): no audio planes; the tri-plane
    /// features bilinear(P_ij) are fused as usual and the audio code a is concatenated to them.
    public enum AudioMode: String, Codable, Sendable, CaseIterable { case plane, concat }
    /// `on`: G' = G + d·ΔG with d from D2 (eq. 7). `off` ("w/o D"): d ≡ 1, no D2, no mask loss.
    public enum Dynamism: String, Codable, Sendable, CaseIterable { case on, off }
    /// `cross`: scores q·Aᵀ/√D with q = W_q a (eq. 4). `mlp`: a small MLP maps a to the sH scores.
    public enum Attention: String, Codable, Sendable, CaseIterable { case cross, mlp }
    /// How the three sets (P_XY with L_Z, P_XZ with L_Y, P_YZ with L_X) combine at each scale:
    /// concatenated (3D per scale), summed or multiplied elementwise (D per scale).
    public enum Fusion: String, Codable, Sendable, CaseIterable { case concat, add, multiply }

    public var audio: AudioMode = .plane
    public var dynamism: Dynamism = .on
    public var attention: Attention = .cross
    public var fusion: Fusion = .concat
    /// Hinge margin of L_mask (eq. 9; table 3).
    public var margin: Float = 0.2

    /// C: channels of the per-frame audio features `[16, C]` (taken from the dataset's array).
    public var audioChannels: Int
    /// Windows per frame feature (16 at 50 Hz, as ER-NeRF).
    public var audioWindows: Int = 16
    /// Frames of audio context [i − context/2, i + context/2).
    public var audioContext: Int = 8
    /// Dimension of the audio code a.
    public var audioCodeDimension: Int = 32
    /// Base grid resolution H.
    public var resolution: Int = 64
    /// Feature dimension D (a multiple of 16: the plane kernels are 16-lane SIMD).
    public var featureDimension: Int = 16
    /// Upsampling scales s (resolution s·H each).
    public var scales: [Int] = [1, 2, 3, 4]
    /// Hidden widths of D1 (ΔG) and D2 (d), and of the `attention: mlp` score network.
    public var deformationHidden: [Int] = [64, 64]
    public var dynamismHidden: [Int] = [32]
    public var attentionHidden: [Int] = [32]
    /// Grid initialisation: every grid value ~ 1 + U(−spread, spread), so the products of eq. 6
    /// start near 1 (K-Planes initialises its time planes to 1), not near 0.
    public var gridInitSpread: Float = 0.1
    /// Spread of the audio prototype grid A's initial values (1 + U(−spread, spread)); nil: the
    /// same as `gridInitSpread`. The attention (eq. 4) can only tell prototypes apart by how they
    /// differ, so a wider spread lets the audio code steer f_a from the first iterations (measured
    /// on the synthetic speaker: +0.2 dB mouth PSNR after 3,000 fine iterations over 0.1).
    public var prototypeInitSpread: Float? = 0.5
    /// D1's output layer starts at `scale ×` the PyTorch bound (bias 0), so ΔG ≈ 0 at first and
    /// training starts from the canonical head. Tests use 1 for well-conditioned gradients.
    public var deformationOutputInitScale: Float = 0.01
    /// Seed of the deterministic initialisation.
    public var seed: UInt64 = 1

    public init(audioChannels: Int) { self.audioChannels = audioChannels }

    /// Width of the per-Gaussian feature f fed to D1 and D2:
    /// (fusion concat ? 3 : 1) · |scales| · D, plus the audio code when `audio == .concat`.
    public var featureWidth: Int {
        (fusion == .concat ? 3 : 1) * scales.count * featureDimension + (audio == .concat ? audioCodeDimension : 0)
    }

    /// Width of ΔG: Δmean 3, Δquaternion 4, Δlog-scale 3, Δopacity-logit 1, ΔSH-DC 3.
    public static let deltaWidth = 14

    /// Checks the values the kernels rely on.
    public func validate() throws {
        func fail(_ m: String) -> AudioPlaneError { .invalidConfig(m) }
        guard audioChannels > 0 else { throw fail("audioChannels must be positive") }
        guard audioWindows == 16 else { throw fail("audioWindows must be 16 (AudioNet's four stride-2 convolutions reduce 16 to 1)") }
        guard audioContext == 8 else { throw fail("audioContext must be 8 (AudioAttNet's Linear 8→8)") }
        guard featureDimension > 0, featureDimension % 16 == 0 else { throw fail("featureDimension must be a positive multiple of 16") }
        guard resolution >= 2 else { throw fail("resolution must be at least 2") }
        guard !scales.isEmpty, scales.allSatisfy({ $0 >= 1 }) else { throw fail("scales must be positive") }
        guard Set(scales).count == scales.count else { throw fail("scales must be distinct (each names its own grids)") }
        guard resolution * scales.max()! <= 1024 else { throw fail("resolution × the largest scale must be at most 1024") }
        guard audioCodeDimension == AudioEncoder.codeDimension else {
            throw fail("audioCodeDimension must be \(AudioEncoder.codeDimension) (the audio encoder's output)")
        }
        guard margin >= 0 else { throw fail("margin must be ≥ 0") }
    }
}

/// Errors of the AudioPlane module.
public enum AudioPlaneError: Error, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case featureShape(String)
    public var description: String {
        switch self {
        case .invalidConfig(let m): return "invalid Audio-Plane config: \(m)"
        case .featureShape(let m): return "audio features: \(m)"
        }
    }
}
