import TensorCore
import NeuralNet

/// The audio encoder of ER-NeRF / TalkingGaussian (so pretrained-feature datasets work unchanged),
/// giving the per-frame audio code a ∈ R³² (DESIGN.md §3 "Audio encoder"; paper §3.2's "two-stage
/// smoothing": per-frame network, then temporal attention over the context).
///
/// Input: a context window [8, 16, C] (frames i−4 ..< i+4 of the dataset's [N, 16, C] features,
/// zero-padded at the ends: `window(features:frameCount:frame:)`).
/// - AudioNet, per context frame: [C, 16] → Conv1d C→32→32→64→64 (k 3, stride 2, pad 1, each
///   followed by LeakyReLU 0.02) → [64, 1] → Linear 64→64, LeakyReLU 0.02, Linear 64→32 → e_t ∈ R³².
/// - AudioAttNet: E = [e_0 … e_7] as [1, 32, 8] → Conv1d 32→16→8→4→2→1 (k 3, stride 1, pad 1, each
///   followed by LeakyReLU 0.02) → [8] → Linear 8→8 → softmax → w ∈ R⁸; a = Σ_t w_t e_t.
/// Parameter names: `net.conv0…3`, `net.fc0`, `net.fc1`, `att.conv0…4`, `att.fc`.
public struct AudioEncoder: ParameterContainer, Sendable, Equatable {
    public var convs: [Conv1d]
    public var fc0: Linear
    public var fc1: Linear
    public var attConvs: [Conv1d]
    public var attFC: Linear
    public let channels: Int
    public static let windows = 16, context = 8, codeDimension = 32
    static let slope: Float = 0.02

    public init(channels: Int, rng: inout SeededRandom) {
        self.channels = channels
        let widths = [channels, 32, 32, 64, 64]
        convs = (0..<4).map { Conv1d(inChannels: widths[$0], outChannels: widths[$0 + 1], kernelSize: 3, stride: 2, padding: 1, rng: &rng) }
        fc0 = Linear(inFeatures: 64, outFeatures: 64, rng: &rng)
        fc1 = Linear(inFeatures: 64, outFeatures: Self.codeDimension, rng: &rng)
        // AudioNet: He-normal weights, zero biases. With PyTorch's default initialisation the
        // per-frame variation of e is ~1% of its constant part on log-mel input in [0, 1] (each
        // of the six layers shrinks the signal ~3×, the biases do not shrink), so the deformation
        // starts deaf and the lips learn only very slowly; He keeps it at ~70% (DESIGN.md §3).
        for i in convs.indices {
            let fan = widths[i] * 3
            convs[i].weight.data = Initialization.kaimingNormal(count: convs[i].weight.data.count, fanIn: fan, negativeSlope: Self.slope, rng: &rng)
            convs[i].bias.data = [Float](repeating: 0, count: convs[i].bias.data.count)
        }
        fc0.weight.data = Initialization.kaimingNormal(count: 64 * 64, fanIn: 64, negativeSlope: Self.slope, rng: &rng)
        fc0.bias.data = [Float](repeating: 0, count: 64)
        fc1.weight.data = Initialization.kaimingNormal(count: 64 * Self.codeDimension, fanIn: 64, negativeSlope: nil, rng: &rng)
        fc1.bias.data = [Float](repeating: 0, count: Self.codeDimension)
        let att = [Self.codeDimension, 16, 8, 4, 2, 1]
        attConvs = (0..<5).map { Conv1d(inChannels: att[$0], outChannels: att[$0 + 1], kernelSize: 3, stride: 1, padding: 1, rng: &rng) }
        attFC = Linear(inFeatures: Self.context, outFeatures: Self.context, rng: &rng)
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) -> Void) {
        for i in convs.indices { convs[i].visitParameters(prefix: parameterName(prefix, "net.conv\(i)"), body) }
        fc0.visitParameters(prefix: parameterName(prefix, "net.fc0"), body)
        fc1.visitParameters(prefix: parameterName(prefix, "net.fc1"), body)
        for i in attConvs.indices { attConvs[i].visitParameters(prefix: parameterName(prefix, "att.conv\(i)"), body) }
        attFC.visitParameters(prefix: parameterName(prefix, "att.fc"), body)
    }

    /// The context window [8, 16, C] of frame `frame` from features [frameCount, 16, C]: frames
    /// frame−4 ..< frame+4, zero where outside 0 ..< frameCount.
    public static func window(features: [Float], frameCount: Int, channels: Int, frame: Int) -> [Float] {
        let per = windows * channels
        precondition(features.count == frameCount * per, "AudioEncoder.window: features are not [\(frameCount), 16, \(channels)]")
        var w = [Float](repeating: 0, count: context * per)
        for t in 0..<context {
            let f = frame - context / 2 + t
            guard f >= 0 && f < frameCount else { continue }
            w.replaceSubrange((t * per)..<((t + 1) * per), with: features[(f * per)..<((f + 1) * per)])
        }
        return w
    }

    /// What `backward` needs.
    public struct Saved: Sendable {
        var convs: [Conv1d.Saved] = []
        var convOutput: [Float] = []      // [8, 64] after the last LeakyReLU
        var fc0: Linear.Saved
        var fc0Output: [Float]            // activated
        var fc1: Linear.Saved
        var codes: [Float]                // e [8, 32]
        var attConvs: [Conv1d.Saved] = []
        var attOutputs: [[Float]] = []    // activated output of every attention conv
        var attFC: Linear.Saved
        var weights: [Float]              // w [8] (softmax output)
    }

    /// a [32] for one context window [8, 16, C], and the saved state.
    public func forward(window x: [Float]) -> ([Float], Saved) {
        let n = Self.context, l = Self.windows, c = channels
        precondition(x.count == n * l * c, "AudioEncoder: window has \(x.count) values, expected 8×16×\(c)")
        let act = Activation.leakyReLU(slope: Self.slope)
        // [8, 16, C] → [8, C, 16].
        var h = [Float](repeating: 0, count: x.count)
        for t in 0..<n { for w in 0..<l { for ch in 0..<c { h[(t * c + ch) * l + w] = x[(t * l + w) * c + ch] } } }
        var convSaved: [Conv1d.Saved] = []
        var length = l
        for conv in convs {
            let (y, s) = conv.forward(h, batch: n, length: length)
            convSaved.append(s)
            length = conv.outputLength(length)
            h = act(y)
        }
        precondition(length == 1)
        let (z0, s0) = fc0.forwardSaving(h, rows: n)
        let a0 = act(z0)
        let (e, s1) = fc1.forwardSaving(a0, rows: n)
        // AudioAttNet on [1, 32, 8].
        let d = Self.codeDimension
        var y = [Float](repeating: 0, count: d * n)
        for t in 0..<n { for j in 0..<d { y[j * n + t] = e[t * d + j] } }
        var attSaved: [Conv1d.Saved] = [], attOut: [[Float]] = []
        for conv in attConvs {
            let (z, s) = conv.forward(y, batch: 1, length: n)
            attSaved.append(s)
            y = act(z)
            attOut.append(y)
        }
        let (scores, sf) = attFC.forwardSaving(y, rows: 1)
        let w = Softmax.forward(scores, rows: 1, width: n)
        var a = [Float](repeating: 0, count: d)
        for t in 0..<n { for j in 0..<d { a[j] += w[t] * e[t * d + j] } }
        let saved = Saved(convs: convSaved, convOutput: h, fc0: s0, fc0Output: a0, fc1: s1, codes: e,
                          attConvs: attSaved, attOutputs: attOut, attFC: sf, weights: w)
        return (a, saved)
    }
}
