import TensorCore

extension Linear {
    /// Backward of `Y = X Wᵀ + b` given ∂L/∂Y `dY` [B, out]:
    /// ∂L/∂W += dYᵀ · X ([out, in]), ∂L/∂b += Σ_rows dY, and returns ∂L/∂X = dY · W ([B, in])
    /// (empty when `inputGradient` is false). Gradients accumulate into `gradients` (a
    /// `zerosLike()` of this layer). The parameter gradients go through `WeightGradient` (no packing
    /// of the input; fixed row chunks, so deterministic).
    @discardableResult
    public func backward(_ saved: Saved, outputGradient dY: [Float], gradients: inout Linear,
                         inputGradient: Bool = true) -> [Float] {
        let rows = saved.rows, n = outFeatures, k = inFeatures
        precondition(dY.count == rows * n, "Linear.backward: gradient has \(dY.count) values, expected \(rows)×\(n)")
        precondition(saved.input.count == rows * k, "Linear.backward: saved input does not match the layer")
        dY.withUnsafeBufferPointer { g in
        saved.input.withUnsafeBufferPointer { x in
        gradients.weight.data.withUnsafeMutableBufferPointer { dw in
        gradients.bias.data.withUnsafeMutableBufferPointer { db in
            WeightGradient.accumulate(rows: rows, outputs: n, inputs: k, outputGradient: g.baseAddress!, ldy: n,
                                      input: x.baseAddress!, ldx: k, weightGradient: dw.baseAddress!, ldw: k,
                                      biasGradient: db.baseAddress!)
        }}}}
        guard inputGradient else { return [] }
        guard rows > 0, k > 0 else { return [] }
        // ∂L/∂X = dY · W into uninitialised storage (no memset pass).
        return [Float](unsafeUninitializedCapacity: rows * k) { xp, initialized in
            if n == 0 {
                xp.baseAddress!.initialize(repeating: 0, count: rows * k)
            } else {
                dY.withUnsafeBufferPointer { g in
                weight.data.withUnsafeBufferPointer { w in
                    Gemm.multiply(m: rows, n: k, k: n, a: g.baseAddress!, lda: n, b: w.baseAddress!, ldb: k,
                                  c: xp.baseAddress!, ldc: k)
                }}
            }
            initialized = rows * k
        }
    }
}
