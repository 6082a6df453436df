import TensorCore
import NeuralNet
import Splatting

extension AudioPlaneModel {
    /// Backward of `forward` given the gradients of the deformed cloud G' (`grads`, as returned by
    /// `SplatRenderer.backward`: means, rotations, logScales, opacityLogits, shCoefficients, and
    /// `extras` [N] = ∂L/∂d when d was rendered as one extra channel; empty extras count as zero).
    ///
    /// Accumulates every model parameter's gradient into `gradients` (a `zerosLike()` of this model)
    /// and returns the gradients w.r.t. the canonical cloud G:
    /// ∂L/∂G = ∂L/∂G' (eq. 7 is the identity in G) plus, for the means, the path through the plane
    /// lookup: ∂L/∂μ += ∂L/∂x̂ · 2/(max − min).
    /// The chain: ∂L/∂ΔG = d·∂L/∂G'; ∂L/∂d = ⟨ΔG, ∂L/∂G'⟩ + ∂L/∂extras; D2 (sigmoid, MLP) and D1
    /// backward → ∂L/∂f; plane query backward → grids, ∂L/∂f_a, ∂L/∂x̂; attention backward → A, W_q,
    /// ∂L/∂a (+ the concatenated code with `audio: concat`); encoder backward.
    public func backward(_ state: ForwardState, _ grads: SplatGradients, gradients: inout AudioPlaneModel,
                         timings: inout StageTimings) -> SplatGradients {
        let (out, da) = backwardToCode(state, grads, gradients: &gradients, timings: &timings)
        if let encoderState = state.encoder {
            timings.measure("audio encoder backward") {
                encoder.backward(encoderState, codeGradient: da, gradients: &gradients.encoder)
            }
        }
        return out
    }

    /// Everything but the encoder: returns the canonical gradients and ∂L/∂a [32].
    func backwardToCode(_ state: ForwardState, _ grads: SplatGradients, gradients: inout AudioPlaneModel,
                        timings: inout StageTimings) -> (SplatGradients, [Float]) {
        let n = state.count, w = AudioPlaneConfig.deltaWidth, k3 = 3 * state.shCoefficientCount
        let fw = config.featureWidth
        precondition(grads.means.count == 3 * n && grads.rotations.count == 4 * n && grads.logScales.count == 3 * n
                     && grads.opacityLogits.count == n && grads.shCoefficients.count == k3 * n,
                     "AudioPlaneModel.backward: gradient arrays do not match the forward's cloud")
        precondition(grads.extras.isEmpty || grads.extras.count == n, "AudioPlaneModel.backward: extras must be [N] (one channel)")
        var dFeatures: [Float] = []
        timings.measure("decoders backward") {
            var dDelta = [Float](repeating: 0, count: n * w)
            var dd = [Float](repeating: 0, count: n)
            let delta = state.delta, d = state.dynamism
            for g in 0..<n {
                let row = g * w, s = d[g]
                var dot: Float = 0
                func put(_ col: Int, _ value: Float) { dDelta[row + col] = s * value; dot += delta[row + col] * value }
                for c in 0..<3 { put(c, grads.means[3 * g + c]) }
                for c in 0..<4 { put(3 + c, grads.rotations[4 * g + c]) }
                for c in 0..<3 { put(7 + c, grads.logScales[3 * g + c]) }
                put(10, grads.opacityLogits[g])
                for c in 0..<3 { put(11 + c, grads.shCoefficients[g * k3 + c]) }
                dd[g] = dot + (grads.extras.isEmpty ? 0 : grads.extras[g])
            }
            dFeatures = deformation.backward(state.d1, outputGradient: dDelta, gradients: &gradients.deformation)
            if let dynamism, let d2 = state.d2 {
                Activation.sigmoid.backward(output: d, gradient: &dd)
                let df2 = dynamism.backward(d2, outputGradient: dd, gradients: &gradients.dynamism!)
                for i in dFeatures.indices { dFeatures[i] += df2[i] }
            }
        }
        var out = grads
        out.extras = []
        var da = [Float](repeating: 0, count: state.code.count)
        timings.measure("plane query backward") {
            if config.audio == .concat {
                let start = fw - da.count
                for g in 0..<n { for j in 0..<da.count { da[j] += dFeatures[g * fw + start + j] } }
            }
            var dFa = levels.map { [Float](repeating: 0, count: $0.hasAudio ? $0.dimension : 0) }
            var dPositions = [Float](repeating: 0, count: 3 * n)
            PlaneQuery.backward(levels: levels, audio: state.audioFeatures, positions: state.positions, count: n,
                                fusion: config.fusion, featureGradient: dFeatures, width: fw,
                                gradients: &gradients.levels, audioGradient: &dFa, positionGradient: &dPositions)
            let inv = headBox.inverseHalfExtent
            for g in 0..<n { for c in 0..<3 { out.means[3 * g + c] += dPositions[3 * g + c] * inv[c] } }
            for (li, level) in levels.enumerated() where level.hasAudio {
                var levelGrads = gradients.levels[li]
                gradients.levels[li] = level   // drop the second reference so levelGrads stays unique
                level.attention.backward(state.attention[li], code: state.code, prototypes: level.prototypes,
                                         outputGradient: dFa[li], gradients: &levelGrads.attention,
                                         prototypeGradient: &levelGrads.prototypes.data, codeGradient: &da)
                gradients.levels[li] = levelGrads
            }
        }
        return (out, da)
    }

    /// `backward` without timings.
    public func backward(_ state: ForwardState, _ grads: SplatGradients, gradients: inout AudioPlaneModel) -> SplatGradients {
        var t = StageTimings()
        return backward(state, grads, gradients: &gradients, timings: &t)
    }
}
