import TensorCore

extension Conv1d {
    /// Backward of the convolution given ∂L/∂y `dY` [B, C_out, L_out]:
    /// ∂L/∂W[o,c,q] += Σ_b Σ_t dY[b,o,t]·x[b,c,t·s+q−p], ∂L/∂bias[o] += Σ_b Σ_t dY[b,o,t], and returns
    /// ∂L/∂x[b,c,t·s+q−p] = Σ_o Σ_q dY[b,o,t]·W[o,c,q] ([B, C_in, L]; empty when `inputGradient` is false).
    @discardableResult
    public func backward(_ saved: Saved, outputGradient dY: [Float], gradients: inout Conv1d,
                         inputGradient: Bool = true) -> [Float] {
        let cin = inChannels, cout = outChannels, k = kernelSize
        let batch = saved.batch, length = saved.length, lout = outputLength(length)
        precondition(dY.count == batch * cout * lout, "Conv1d.backward: gradient has \(dY.count) values")
        let x = saved.input, w = weight.data
        var dx = [Float](repeating: 0, count: inputGradient ? x.count : 0)
        for b in 0..<batch {
            for o in 0..<cout {
                let yo = (b * cout + o) * lout
                for t in 0..<lout {
                    let g = dY[yo + t]
                    gradients.bias.data[o] += g
                    let start = t * stride - padding
                    for c in 0..<cin {
                        let xo = (b * cin + c) * length, wo = (o * cin + c) * k
                        for q in 0..<k {
                            let p = start + q
                            guard p >= 0 && p < length else { continue }
                            gradients.weight.data[wo + q] += g * x[xo + p]
                            if inputGradient { dx[xo + p] += g * w[wo + q] }
                        }
                    }
                }
            }
        }
        return dx
    }
}
