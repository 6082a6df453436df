import TensorCore

/// 1-D convolution (cross-correlation, as PyTorch `nn.Conv1d`) with stride and zero padding:
///
///     y[b, o, t] = bias[o] + Σ_c Σ_q W[o, c, q] · x[b, c, t·stride + q − padding]
///
/// Shapes: `weight` [C_out, C_in, k], `bias` [C_out], input [B, C_in, L], output [B, C_out, L_out]
/// with L_out = ⌊(L + 2·padding − k) / stride⌋ + 1. Direct loops: the audio encoder's sizes are
/// tiny (L ≤ 16, C ≤ 64, B = 8). Parameter names: `weight`, `bias`. Backward: `Conv1d+Backward.swift`.
public struct Conv1d: ParameterContainer, Sendable, Equatable {
    public var weight: Tensor
    public var bias: Tensor
    public var stride: Int
    public var padding: Int

    public var inChannels: Int { weight.shape[1] }
    public var outChannels: Int { weight.shape[0] }
    public var kernelSize: Int { weight.shape[2] }

    /// What `backward` needs: the input [B, C_in, L].
    public struct Saved: Sendable {
        public var input: [Float]
        public var batch: Int
        public var length: Int
    }

    /// PyTorch-style initialisation: weight and bias ~ U(±1/√(C_in·k)).
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                rng: inout SeededRandom) {
        let fanIn = inChannels * kernelSize
        weight = Tensor(shape: [outChannels, inChannels, kernelSize],
                        data: Initialization.uniformFanIn(count: outChannels * fanIn, fanIn: fanIn, rng: &rng))
        bias = Tensor(shape: [outChannels], data: Initialization.uniformFanIn(count: outChannels, fanIn: fanIn, rng: &rng))
        self.stride = stride
        self.padding = padding
    }

    public func outputLength(_ length: Int) -> Int { (length + 2 * padding - kernelSize) / stride + 1 }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) -> Void) {
        body(parameterName(prefix, "weight"), &weight)
        body(parameterName(prefix, "bias"), &bias)
    }

    /// Output [batch, C_out, L_out] and the saved input.
    public func forward(_ x: [Float], batch: Int, length: Int) -> ([Float], Saved) {
        let cin = inChannels, cout = outChannels, k = kernelSize
        precondition(x.count == batch * cin * length, "Conv1d: input has \(x.count) values, expected \(batch)×\(cin)×\(length)")
        let lout = outputLength(length)
        var y = [Float](repeating: 0, count: batch * cout * lout)
        let w = weight.data, bv = bias.data
        for b in 0..<batch {
            for o in 0..<cout {
                let yo = (b * cout + o) * lout
                for t in 0..<lout {
                    var s = bv[o]
                    let start = t * stride - padding
                    for c in 0..<cin {
                        let xo = (b * cin + c) * length, wo = (o * cin + c) * k
                        for q in 0..<k {
                            let p = start + q
                            if p >= 0 && p < length { s += w[wo + q] * x[xo + p] }
                        }
                    }
                    y[yo + t] = s
                }
            }
        }
        return (y, Saved(input: x, batch: batch, length: length))
    }
}
