import TensorCore

extension Linear {
    /// Backward of `Y = X Wᵀ + b` given ∂L/∂Y `dY` [B, out]:
    /// ∂L/∂W += dYᵀ · X ([out, in]), ∂L/∂b += Σ_rows dY, and returns ∂L/∂X = dY · W ([B, in])
    /// (empty when `inputGradient` is false). Gradients accumulate into `gradients` (a
    /// `zerosLike()` of this layer).
    @discardableResult
    public func backward(_ saved: Saved, outputGradient dY: [Float], gradients: inout Linear,
                         inputGradient: Bool = true) -> [Float] {
        let rows = saved.rows, n = outFeatures, k = inFeatures
        precondition(dY.count == rows * n, "Linear.backward: gradient has \(dY.count) values, expected \(rows)×\(n)")
        Gemm.multiply(dY, saved.input, m: n, n: k, k: rows, aOp: .transposed, into: &gradients.weight.data, accumulate: true)
        dY.withUnsafeBufferPointer { g in
            gradients.bias.data.withUnsafeMutableBufferPointer { db in
                for r in 0..<rows {
                    let row = g.baseAddress! + r * n
                    for j in 0..<n { db[j] += row[j] }
                }
            }
        }
        guard inputGradient else { return [] }
        return Gemm.multiply(dY, weight.data, m: rows, n: k, k: n)
    }
}
