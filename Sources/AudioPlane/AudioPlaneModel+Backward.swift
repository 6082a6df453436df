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
            Self.deltaBackward(state, grads, dDelta: &dDelta, dynamism: &dd)
            if case .fused(let saved) = state.decoders, let dynamism {
                Activation.sigmoid.backward(output: state.dynamismRows, gradient: &dd)
                dFeatures = FusedDecoders.backward(deformation, dynamism, saved, dDelta, dd,
                                                   gradients1: &gradients.deformation, gradients2: &gradients.dynamism!)
                return
            }
            guard case .separate(let d1, let d2Saved) = state.decoders else { preconditionFailure("decoder state") }
            dFeatures = deformation.backward(d1, outputGradient: dDelta, gradients: &gradients.deformation)
            if let dynamism, let d2 = d2Saved {
                Activation.sigmoid.backward(output: state.dynamismRows, gradient: &dd)
                // D2 layer by layer; its first layer's ∂L/∂f is added straight into D1's (no extra array).
                var g = dd
                for i in stride(from: dynamism.layers.count - 1, through: 1, by: -1) {
                    g = dynamism.layers[i].backward(Linear.Saved(input: d2.inputs[i], rows: n), outputGradient: g,
                                                    gradients: &gradients.dynamism!.layers[i])
                    dynamism.activation.backward(output: d2.inputs[i], gradient: &g)
                }
                let first = dynamism.layers[0]
                first.backward(Linear.Saved(input: d2.inputs[0], rows: n), outputGradient: g,
                               gradients: &gradients.dynamism!.layers[0], inputGradient: false)
                Gemm.multiply(g, first.weight.data, m: n, n: fw, k: first.outFeatures, into: &dFeatures, accumulate: true)
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
                                gradients: &gradients.levels, audioGradient: &dFa, positionGradient: &dPositions,
                                rowOrder: state.rowOrder)
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

    /// ∂L/∂ΔG = d·∂L/∂G' and ∂L/∂d = ⟨ΔG, ∂L/∂G'⟩ + ∂L/∂extras per Gaussian (eq. 7), written in
    /// decoder row order (Gaussian g → row `rowOf[g]`), in parallel over fixed Gaussian chunks (each
    /// row is independent, so the result does not depend on threads).
    static func deltaBackward(_ state: ForwardState, _ grads: SplatGradients, dDelta: inout [Float], dynamism dd: inout [Float]) {
        let n = state.count, w = AudioPlaneConfig.deltaWidth, k3 = 3 * state.shCoefficientCount
        let hasExtras = !grads.extras.isEmpty
        state.deltaRows.withUnsafeBufferPointer { deltaP in state.dynamism.withUnsafeBufferPointer { dP in
        grads.means.withUnsafeBufferPointer { gm in grads.rotations.withUnsafeBufferPointer { gr in
        grads.logScales.withUnsafeBufferPointer { gs in grads.opacityLogits.withUnsafeBufferPointer { go in
        grads.shCoefficients.withUnsafeBufferPointer { gsh in grads.extras.withUnsafeBufferPointer { ge in
        dDelta.withUnsafeMutableBufferPointer { outP in dd.withUnsafeMutableBufferPointer { ddP in
        state.rowOf.withUnsafeBufferPointer { rowOfP in
            let rowOf = rowOfP.baseAddress!
            let delta = deltaP.baseAddress!, d = dP.baseAddress!, out = outP.baseAddress!, ddo = ddP.baseAddress!
            let m = gm.baseAddress!, r = gr.baseAddress!, s = gs.baseAddress!, o = go.baseAddress!
            let sh = gsh.baseAddress!, e = ge.baseAddress
            parallelFor(0..<n, chunk: 4096) { range in
                for g in range {   // Gaussian order (sequential reads); rows scattered (L2-sized)
                    let i = Int(rowOf[g])
                    let row = i * w, scale = d[g]
                    // The 14 upstream values in ΔG column order.
                    let u0 = m[3 * g], u1 = m[3 * g + 1], u2 = m[3 * g + 2]
                    let u3 = r[4 * g], u4 = r[4 * g + 1], u5 = r[4 * g + 2], u6 = r[4 * g + 3]
                    let u7 = s[3 * g], u8 = s[3 * g + 1], u9 = s[3 * g + 2], u10 = o[g]
                    let u11 = sh[g * k3], u12 = sh[g * k3 + 1], u13 = sh[g * k3 + 2]
                    let dl = delta + row, dst = out + i * w
                    dst[0] = scale * u0; dst[1] = scale * u1; dst[2] = scale * u2; dst[3] = scale * u3
                    dst[4] = scale * u4; dst[5] = scale * u5; dst[6] = scale * u6; dst[7] = scale * u7
                    dst[8] = scale * u8; dst[9] = scale * u9; dst[10] = scale * u10; dst[11] = scale * u11
                    dst[12] = scale * u12; dst[13] = scale * u13
                    var dot: Float = 0
                    dot += dl[0] * u0; dot += dl[1] * u1; dot += dl[2] * u2; dot += dl[3] * u3
                    dot += dl[4] * u4; dot += dl[5] * u5; dot += dl[6] * u6; dot += dl[7] * u7
                    dot += dl[8] * u8; dot += dl[9] * u9; dot += dl[10] * u10; dot += dl[11] * u11
                    dot += dl[12] * u12; dot += dl[13] * u13
                    ddo[i] = dot + (hasExtras ? e![g] : 0)
                }
            }
        }}}}}}}}}}}
    }

    /// `backward` without timings.
    public func backward(_ state: ForwardState, _ grads: SplatGradients, gradients: inout AudioPlaneModel) -> SplatGradients {
        var t = StageTimings()
        return backward(state, grads, gradients: &gradients, timings: &t)
    }
}
