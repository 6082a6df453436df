import Foundation
import TensorCore
import NeuralNet

/// The audio branch of one Audio-Plane scale: the audio code a ∈ R³² attends over the audio
/// prototype grid A ∈ R^{R×D} (R = sH) and returns f_a = Σ_r p_r A_r ∈ R^D, once per frame (it
/// does not depend on the Gaussian). Paper eq. 4 with K = V = A:
/// - `cross` (default): q = W_q a (W_q [D, 32], no bias), z_r = ⟨q, A_r⟩/√D, p = softmax(z).
/// - `mlp` (table 2's "MLP" backbone): z = MLP(a) (32 → hidden → R, ReLU), p = softmax(z).
/// Parameter names: `query` (cross) or `scores.layer…` (mlp).
public struct PrototypeAttention: ParameterContainer, Sendable, Equatable {
    public var mode: AudioPlaneConfig.Attention
    /// W_q [D, 32] (cross); empty for mlp.
    public var query: Tensor
    /// The score network (mlp); nil for cross.
    public var scoreNet: MLP?

    public struct Saved: Sendable {
        var q: [Float]          // [D] (cross)
        var net: MLP.Saved?     // (mlp)
        var p: [Float]          // [R] attention weights
    }

    public init(mode: AudioPlaneConfig.Attention, rows: Int, dimension d: Int, codeDimension c: Int,
                hidden: [Int], rng: inout SeededRandom) {
        self.mode = mode
        switch mode {
        case .cross:
            query = Tensor(shape: [d, c], data: Initialization.uniformFanIn(count: d * c, fanIn: c, rng: &rng))
            scoreNet = nil
        case .mlp:
            query = Tensor(zeros: [0])
            scoreNet = MLP(widths: [c] + hidden + [rows], activation: .relu, rng: &rng)
        }
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) -> Void) {
        switch mode {
        case .cross: body(parameterName(prefix, "query"), &query)
        case .mlp: scoreNet!.visitParameters(prefix: parameterName(prefix, "scores"), body)
        }
    }

    /// f_a [D] for code a [32] and prototypes A [R, D].
    public func forward(code a: [Float], prototypes: Tensor) -> ([Float], Saved) {
        let r = prototypes.shape[0], d = prototypes.shape[1]
        let pa = prototypes.data
        var q: [Float] = []
        var net: MLP.Saved?
        var z: [Float]
        switch mode {
        case .cross:
            let c = a.count
            q = [Float](repeating: 0, count: d)
            for i in 0..<d { var s: Float = 0; for j in 0..<c { s += query.data[i * c + j] * a[j] }; q[i] = s }
            let inv = 1 / Float(d).squareRoot()
            z = (0..<r).map { row in var s: Float = 0; for i in 0..<d { s += q[i] * pa[row * d + i] }; return s * inv }
        case .mlp:
            let (out, saved) = scoreNet!.forward(a, rows: 1)
            z = out; net = saved
        }
        let p = Softmax.forward(z, rows: 1, width: r)
        var fa = [Float](repeating: 0, count: d)
        for row in 0..<r { for i in 0..<d { fa[i] += p[row] * pa[row * d + i] } }
        return (fa, Saved(q: q, net: net, p: p))
    }

    /// Backward given ∂L/∂f_a [D]: ∂L/∂A_r += p_r ∂L/∂f_a + (cross) ∂L/∂z_r q/√D; ∂L/∂p_r = ⟨A_r, ∂L/∂f_a⟩;
    /// ∂L/∂z = softmax backward; cross: ∂L/∂q = Σ_r ∂L/∂z_r A_r/√D, ∂L/∂W_q += ∂L/∂q aᵀ,
    /// ∂L/∂a += W_qᵀ ∂L/∂q; mlp: through the score network. Accumulates into `gradients`,
    /// `prototypeGradient` ([R, D]) and `codeGradient` ([32]).
    public func backward(_ s: Saved, code a: [Float], prototypes: Tensor, outputGradient dfa: [Float],
                         gradients: inout PrototypeAttention, prototypeGradient: inout [Float], codeGradient: inout [Float]) {
        let r = prototypes.shape[0], d = prototypes.shape[1]
        let pa = prototypes.data
        var dp = [Float](repeating: 0, count: r)
        for row in 0..<r {
            var dot: Float = 0
            for i in 0..<d { dot += pa[row * d + i] * dfa[i]; prototypeGradient[row * d + i] += s.p[row] * dfa[i] }
            dp[row] = dot
        }
        let dz = Softmax.backward(output: s.p, outputGradient: dp, rows: 1, width: r)
        switch mode {
        case .cross:
            let inv = 1 / Float(d).squareRoot(), c = a.count
            var dq = [Float](repeating: 0, count: d)
            for row in 0..<r {
                let g = dz[row] * inv
                for i in 0..<d { dq[i] += g * pa[row * d + i]; prototypeGradient[row * d + i] += g * s.q[i] }
            }
            for i in 0..<d {
                for j in 0..<c {
                    gradients.query.data[i * c + j] += dq[i] * a[j]
                    codeGradient[j] += query.data[i * c + j] * dq[i]
                }
            }
        case .mlp:
            let da = scoreNet!.backward(s.net!, outputGradient: dz, gradients: &gradients.scoreNet!)
            for j in 0..<a.count { codeGradient[j] += da[j] }
        }
    }
}
