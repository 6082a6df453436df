import TensorCore

/// A stack of `Linear` layers with one activation between them (none after the last), batched over
/// rows: x [B, in] → [B, widths.last]. Parameter names: `layer0.weight`, `layer0.bias`, …
public struct MLP: ParameterContainer, Sendable, Equatable {
    public var layers: [Linear]
    public var activation: Activation

    /// What `backward` needs: the input of every layer (layer 0's is x; layer i's is the activated
    /// output of layer i−1, from which the activation's slope is recovered).
    public struct Saved: Sendable {
        public var inputs: [[Float]]
        public var rows: Int
        public init(inputs: [[Float]], rows: Int) { self.inputs = inputs; self.rows = rows }
    }

    /// Layers `widths[0] → widths[1] → … → widths.last`, PyTorch-style initialisation.
    public init(widths: [Int], activation: Activation, rng: inout SeededRandom) {
        precondition(widths.count >= 2, "MLP needs at least an input and an output width")
        layers = (0..<(widths.count - 1)).map { Linear(inFeatures: widths[$0], outFeatures: widths[$0 + 1], rng: &rng) }
        self.activation = activation
    }

    public var inFeatures: Int { layers[0].inFeatures }
    public var outFeatures: Int { layers[layers.count - 1].outFeatures }

    /// Starts the network near zero output: the last layer's weights × `scale`, its bias 0.
    public mutating func scaleLastLayerTowardsZero(_ scale: Float) {
        layers[layers.count - 1].scaleTowardsZero(scale)
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) -> Void) {
        for i in layers.indices { layers[i].visitParameters(prefix: parameterName(prefix, "layer\(i)"), body) }
    }

    /// Output [rows, out] (no activation after the last layer) and the saved state.
    public func forward(_ x: [Float], rows: Int) -> ([Float], Saved) {
        var inputs: [[Float]] = []
        inputs.reserveCapacity(layers.count)
        var h = x
        for (i, layer) in layers.enumerated() {
            inputs.append(h)
            h = layer.forward(h, rows: rows)
            if i < layers.count - 1 { activation.apply(&h) }
        }
        return (h, Saved(inputs: inputs, rows: rows))
    }

    /// Accumulates parameter gradients into `gradients` and returns ∂L/∂x [rows, in] (empty when
    /// `inputGradient` is false).
    @discardableResult
    public func backward(_ saved: Saved, outputGradient dY: [Float], gradients: inout MLP,
                         inputGradient: Bool = true) -> [Float] {
        var g = dY
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let needInput = i > 0 || inputGradient
            g = layers[i].backward(Linear.Saved(input: saved.inputs[i], rows: saved.rows), outputGradient: g,
                                   gradients: &gradients.layers[i], inputGradient: needInput)
            if i > 0 { activation.backward(output: saved.inputs[i], gradient: &g) }
        }
        return g
    }
}
