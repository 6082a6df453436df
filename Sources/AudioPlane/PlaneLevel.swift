import TensorCore
import NeuralNet

/// The grids of one Audio-Plane scale s (resolution R = s·H, feature dimension D), paper eq. 6.
///
/// Sets t = 0, 1, 2 are (i, j, k) = (X, Y, Z), (X, Z, Y), (Y, Z, X): plane t is P_ij, line t is L_k.
/// - `planes` [3, R, R, D]: P_XY, P_XZ, P_YZ; element (u_i, u_j) of plane t at ((t·R + u_i)·R + u_j)·D.
/// - `lines` [3, R, D]: L_Z, L_Y, L_X (the line paired with plane t); element u_k at (t·R + u_k)·D.
/// - `prototypes` [R, D]: the audio prototype grid A (key and value of eq. 4).
/// - `attention`: how the audio code attends over A (`PrototypeAttention`).
/// With `audio: concat` ("w/o A") only `planes` exists (lines, prototypes and attention are unused
/// and not visited as parameters).
/// Grid coordinates: u = (x̂ + 1)/2 · (R − 1) for x̂ ∈ [−1, 1] (align-corners, as K-Planes),
/// clamped to the border (positions outside pass no gradient).
/// Parameter names: `planes`, `lines`, `prototypes`, `attention.…` under `scale<s>`.
public struct PlaneLevel: ParameterContainer, Sendable, Equatable {
    public let resolution: Int
    public let dimension: Int
    public let hasAudio: Bool
    public var planes: Tensor
    public var lines: Tensor
    public var prototypes: Tensor
    public var attention: PrototypeAttention

    /// Grids ~ 1 + U(−spread, spread) (prototypes: `prototypeSpread` when given) so the products of eq. 6 start near 1 (K-Planes practice).
    public init(resolution r: Int, dimension d: Int, hasAudio: Bool, attention mode: AudioPlaneConfig.Attention,
                attentionHidden: [Int], codeDimension: Int, spread: Float, prototypeSpread: Float? = nil,
                rng: inout SeededRandom) {
        resolution = r; dimension = d; self.hasAudio = hasAudio
        func grid(_ shape: [Int], spread: Float = spread) -> Tensor {
            let n = shape.reduce(1, *)
            return Tensor(shape: shape, data: (0..<n).map { _ in 1 + rng.uniform(-spread, spread) })
        }
        planes = grid([3, r, r, d])
        if hasAudio {
            lines = grid([3, r, d])
            prototypes = grid([r, d], spread: prototypeSpread ?? spread)
        } else {
            lines = Tensor(zeros: [0]); prototypes = Tensor(zeros: [0])
        }
        attention = PrototypeAttention(mode: mode, rows: r, dimension: d, codeDimension: codeDimension,
                                       hidden: attentionHidden, rng: &rng)
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) -> Void) {
        body(parameterName(prefix, "planes"), &planes)
        guard hasAudio else { return }
        body(parameterName(prefix, "lines"), &lines)
        body(parameterName(prefix, "prototypes"), &prototypes)
        attention.visitParameters(prefix: parameterName(prefix, "attention"), body)
    }
}
