import TensorCore

extension LPIPSSession {
    /// Reverse pass for image 0 of the last forward pass (images 0 and 1 compared): computes the
    /// distance and writes `∂LPIPS/∂x` (`[H, W, 3]`, [0, 1] image space) into `gradient`.
    ///
    /// With `g_l = ∂L/∂relu_l(x)`: start from head 5's term, then for l = 5…1: mask by relu_l > 0
    /// (ReLU backward), convolution input gradient (`ConvLayer.inputGradient`), max-pool backward
    /// where a pool precedes, add head (l−1)'s term. Finally `∂L/∂x = ∂L/∂z · 2 / scale`.
    func backward(into gradient: UnsafeMutablePointer<Float>) -> Float {
        let g = geometry, specs = network.specs
        precondition(g.batch == 2, "backward needs a forward pass over the pair [x, y]")
        var total = 0.0
        var distances = [Float](repeating: 0, count: 5)
        // Head term of layer l added into `target` ([P_l, C_l], image 0).
        func addHead(_ l: Int, into target: UnsafeMutablePointer<Float>) {
            let pixels = g.featurePixels(l), c = specs[l].outChannels
            let f = features[l].pointer
            let d = LPIPSHead.distance(f, f + pixels * c, pixels: pixels, channels: c,
                                       weights: network.heads[l], gradient: target)
            distances[l] = Float(d)
            total += d
        }
        var current = 0
        var dFeature = gradients[0].reserve(g.featurePixels(4) * specs[4].outChannels)
        dFeature.update(repeating: 0, count: g.featurePixels(4) * specs[4].outChannels)
        addHead(4, into: dFeature)
        for l in stride(from: 4, through: 0, by: -1) {
            let layer = network.layers[l]
            let count = g.featurePixels(l) * layer.outChannels
            let f = features[l].pointer
            for i in 0..<count where f[i] <= 0 { dFeature[i] = 0 }
            let inputCount = g.inHeight[l] * g.inWidth[l] * layer.inChannels
            let dInput = l == 0 ? gradient : gradients[(current + 1) % 3].reserve(inputCount)
            layer.inputGradient(dFeature, height: g.inHeight[l], width: g.inWidth[l], into: dInput, columns: columns)
            if l == 0 { break }
            if specs[l - 1].poolAfter {
                let previous = g.featurePixels(l - 1) * specs[l - 1].outChannels
                let target = gradients[(current + 2) % 3].reserve(previous)
                MaxPool.backward(dInput, argmax: argmax[l - 1].pointer, outputCount: inputCount,
                                 into: target, inputCount: previous)
                dFeature = target
                current = (current + 2) % 3
            } else {
                dFeature = dInput
                current = (current + 1) % 3
            }
            addHead(l - 1, into: dFeature)
        }
        // z = 2x·(1/scale) + const  ⇒  ∂L/∂x = ∂L/∂z · 2/scale.
        let factor = 2 / LPIPS.scale
        for p in 0..<(g.inHeight[0] * g.inWidth[0]) {
            for c in 0..<3 { gradient[3 * p + c] *= factor[c] }
        }
        layerDistances = distances
        return Float(total)
    }
}
