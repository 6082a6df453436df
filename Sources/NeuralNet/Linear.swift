import TensorCore

/// Fully connected layer batched over rows: `Y = X Wᵀ + b`.
///
/// Shapes: `weight` [out, in], `bias` [out], input X [B, in], output Y [B, out] (row-major).
/// The product runs on `Gemm` (`X · Wᵀ` with a transposed right operand). Parameter names:
/// `weight`, `bias`. Backward: `Linear+Backward.swift`.
public struct Linear: ParameterContainer, Sendable, Equatable {
    public var weight: Tensor
    public var bias: Tensor

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// What `backward` needs from the forward: the input X [B, in].
    public struct Saved: Sendable {
        public var input: [Float]
        public var rows: Int
        public init(input: [Float], rows: Int) { self.input = input; self.rows = rows }
    }

    /// PyTorch-style initialisation: weight and bias ~ U(±1/√in).
    public init(inFeatures: Int, outFeatures: Int, rng: inout SeededRandom) {
        weight = Tensor(shape: [outFeatures, inFeatures],
                        data: Initialization.uniformFanIn(count: outFeatures * inFeatures, fanIn: inFeatures, rng: &rng))
        bias = Tensor(shape: [outFeatures],
                      data: Initialization.uniformFanIn(count: outFeatures, fanIn: inFeatures, rng: &rng))
    }

    /// A layer with all parameters zero.
    public init(zerosIn inFeatures: Int, out outFeatures: Int) {
        weight = Tensor(zeros: [outFeatures, inFeatures])
        bias = Tensor(zeros: [outFeatures])
    }

    /// Makes the layer start near zero (an output layer that must begin as a no-op): weights are
    /// multiplied by `scale` and the bias is set to 0.
    public mutating func scaleTowardsZero(_ scale: Float) {
        for i in weight.data.indices { weight.data[i] *= scale }
        for i in bias.data.indices { bias.data[i] = 0 }
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) -> Void) {
        body(parameterName(prefix, "weight"), &weight)
        body(parameterName(prefix, "bias"), &bias)
    }

    /// Y [rows, out] = X [rows, in] · Wᵀ + b.
    public func forward(_ x: [Float], rows: Int) -> [Float] {
        precondition(x.count == rows * inFeatures, "Linear: input has \(x.count) values, expected \(rows)×\(inFeatures)")
        let n = outFeatures, k = inFeatures
        guard rows > 0 else { return [] }
        // C = X·Wᵀ into uninitialised storage (no memset pass), then + b per row.
        return [Float](unsafeUninitializedCapacity: rows * n) { yp, initialized in
            let y = yp.baseAddress!
            x.withUnsafeBufferPointer { xp in
            weight.data.withUnsafeBufferPointer { wp in
            bias.data.withUnsafeBufferPointer { bp in
                if k == 0 || n == 0 {
                    y.initialize(repeating: 0, count: rows * n)
                } else {
                    Gemm.multiply(m: rows, n: n, k: k, a: xp.baseAddress!, lda: k, b: wp.baseAddress!, ldb: k, .transposed,
                                  c: y, ldc: n)
                }
                if n > 0 { for r in 0..<rows { let row = y + r * n; for j in 0..<n { row[j] += bp[j] } } }
            }}}
            initialized = rows * n
        }
    }

    /// Forward that also returns the saved state for `backward`.
    public func forwardSaving(_ x: [Float], rows: Int) -> ([Float], Saved) {
        (forward(x, rows: rows), Saved(input: x, rows: rows))
    }
}
