import TensorCore
import NeuralNet

extension AudioEncoder {
    /// Backward of `forward(window:)` given ∂L/∂a [32]: accumulates every parameter's gradient into
    /// `gradients`. (No gradient w.r.t. the audio features: they are data.)
    ///
    /// a = Σ_t w_t e_t → ∂L/∂w_t = ⟨∂L/∂a, e_t⟩, ∂L/∂e_t = w_t ∂L/∂a + (the attention branch's
    /// gradient w.r.t. its input E); then back through fc1, LeakyReLU, fc0 and the four convolutions.
    public func backward(_ s: Saved, codeGradient da: [Float], gradients g: inout AudioEncoder) {
        let n = Self.context, d = Self.codeDimension
        let act = Activation.leakyReLU(slope: Self.slope)
        var dw = [Float](repeating: 0, count: n)
        var de = [Float](repeating: 0, count: n * d)
        for t in 0..<n {
            for j in 0..<d {
                dw[t] += da[j] * s.codes[t * d + j]
                de[t * d + j] = s.weights[t] * da[j]
            }
        }
        let dScores = Softmax.backward(output: s.weights, outputGradient: dw, rows: 1, width: n)
        var dy = attFC.backward(s.attFC, outputGradient: dScores, gradients: &g.attFC)
        for i in stride(from: attConvs.count - 1, through: 0, by: -1) {
            act.backward(output: s.attOutputs[i], gradient: &dy)
            dy = attConvs[i].backward(s.attConvs[i], outputGradient: dy, gradients: &g.attConvs[i])
        }
        // dy is ∂L/∂E as [32, 8] (channel-major).
        for t in 0..<n { for j in 0..<d { de[t * d + j] += dy[j * n + t] } }
        var dh = fc1.backward(s.fc1, outputGradient: de, gradients: &g.fc1)
        act.backward(output: s.fc0Output, gradient: &dh)
        dh = fc0.backward(s.fc0, outputGradient: dh, gradients: &g.fc0)
        // dh is ∂L/∂(activated conv output) [8, 64, 1].
        var out = s.convOutput
        for i in stride(from: convs.count - 1, through: 0, by: -1) {
            act.backward(output: out, gradient: &dh)
            dh = convs[i].backward(s.convs[i], outputGradient: dh, gradients: &g.convs[i], inputGradient: i > 0)
            if i > 0 { out = s.convs[i].input }
        }
    }
}
