import TensorCore
import NeuralNet

/// D1 (ΔG) and D2 (dynamism logit) evaluated together on the shared features F [N, fw].
///
/// The two first layers read the same F, so they run as one GEMM `F · [W1₀; W2₀]ᵀ` (F packed once;
/// 64 + 32 = 96 output columns fill three register panels) into one buffer `first` [N, w1 + w2]
/// (D1's columns, then D2's); the later layers read their column slice in place (leading
/// dimension w1 + w2). The backward writes both ∂L/∂h₀ slices into one [N, w1 + w2] buffer, so the
/// first layers' parameter gradients are one `WeightGradient` pass over F and ∂L/∂F is one GEMM
/// `[dH1₀ | dH2₀] · [W1₀; W2₀]` (no second [N, fw] array to add). Same math as `MLP.forward` /
/// `MLP.backward` up to float rounding. Used when both MLPs have a hidden layer and share their
/// activation (`applies`); the model falls back to the separate MLPs otherwise.
enum FusedDecoders {
    struct Saved: Sendable {
        var rows: Int
        var features: [Float]           // F [N, fw]
        var first: [Float]              // activated first-layer outputs [N, w1 + w2]
        var d1Hidden: [[Float]]         // D1's activated outputs of layers 1 ..< last
        var d2Hidden: [[Float]]
        var firstWidths: (Int, Int)     // w1, w2

        /// The same values as `MLP.Saved` (per-layer inputs), for tests and inspection.
        func mlpSaved(second: Bool) -> MLP.Saved {
            let (w1, w2) = firstWidths, wf = w1 + w2
            let (start, width) = second ? (w1, w2) : (0, w1)
            var slice = [Float](repeating: 0, count: rows * width)
            for r in 0..<rows { for j in 0..<width { slice[r * width + j] = first[r * wf + start + j] } }
            return MLP.Saved(inputs: [features, slice] + (second ? d2Hidden : d1Hidden), rows: rows)
        }
    }

    static func applies(_ d1: MLP, _ d2: MLP) -> Bool {
        d1.layers.count >= 2 && d2.layers.count >= 2 && d1.activation == d2.activation
            && d1.inFeatures == d2.inFeatures
    }

    /// ΔG-side output [N, out1], D2's output [N, out2] (before the sigmoid), and the saved state.
    static func forward(_ d1: MLP, _ d2: MLP, features: [Float], rows n: Int) -> ([Float], [Float], Saved) {
        let l1 = d1.layers[0], l2 = d2.layers[0]
        let w1 = l1.outFeatures, w2 = l2.outFeatures, wf = w1 + w2, fw = l1.inFeatures
        let weight = l1.weight.data + l2.weight.data, bias = l1.bias.data + l2.bias.data
        var first = features.withUnsafeBufferPointer { linear(rows: n, x: $0.baseAddress!, ldx: fw, inputs: fw, weight: weight, bias: bias) }
        d1.activation.apply(&first)
        var hidden1: [[Float]] = [], hidden2: [[Float]] = []
        let (out1, out2) = first.withUnsafeBufferPointer { fp in
            (rest(d1, rows: n, input: fp.baseAddress!, ld: wf, hidden: &hidden1),
             rest(d2, rows: n, input: fp.baseAddress! + w1, ld: wf, hidden: &hidden2))
        }
        return (out1, out2, Saved(rows: n, features: features, first: first, d1Hidden: hidden1, d2Hidden: hidden2,
                                  firstWidths: (w1, w2)))
    }

    /// Layers 1… of `mlp` from its first layer's activated output at `input` (leading dimension `ld`).
    static func rest(_ mlp: MLP, rows n: Int, input: UnsafePointer<Float>, ld: Int, hidden: inout [[Float]]) -> [Float] {
        var h = linear(rows: n, x: input, ldx: ld, inputs: mlp.layers[1].inFeatures, weight: mlp.layers[1].weight.data,
                       bias: mlp.layers[1].bias.data)
        for i in 2..<mlp.layers.count {
            mlp.activation.apply(&h)
            hidden.append(h)
            h = h.withUnsafeBufferPointer { hp in
                linear(rows: n, x: hp.baseAddress!, ldx: mlp.layers[i].inFeatures, inputs: mlp.layers[i].inFeatures,
                       weight: mlp.layers[i].weight.data, bias: mlp.layers[i].bias.data)
            }
        }
        return h
    }

    /// `X · Wᵀ + b` for X at `x` (rows × inputs, leading dimension `ldx`), W [out, inputs].
    static func linear(rows n: Int, x: UnsafePointer<Float>, ldx: Int, inputs k: Int, weight: [Float], bias: [Float]) -> [Float] {
        let out = bias.count
        return [Float](unsafeUninitializedCapacity: n * out) { yp, initialized in
            let y = yp.baseAddress!
            weight.withUnsafeBufferPointer { wp in
                Gemm.multiply(m: n, n: out, k: k, a: x, lda: ldx, b: wp.baseAddress!, ldb: k, .transposed, c: y, ldc: out)
            }
            bias.withUnsafeBufferPointer { b in
                for r in 0..<n { let row = y + r * out; for j in 0..<out { row[j] += b[j] } }
            }
            initialized = n * out
        }
    }

    /// Accumulates both MLPs' parameter gradients and returns ∂L/∂F [N, fw], given ∂L/∂(D1 output)
    /// `g1` [N, out1] and ∂L/∂(D2 output) `g2` [N, out2] (after the sigmoid's backward).
    static func backward(_ d1: MLP, _ d2: MLP, _ saved: Saved, _ g1: [Float], _ g2: [Float],
                         gradients1: inout MLP, gradients2: inout MLP) -> [Float] {
        let n = saved.rows, (w1, w2) = saved.firstWidths, wf = w1 + w2, fw = d1.inFeatures
        var dFirst = [Float](unsafeUninitializedCapacity: n * wf) { p, initialized in
            saved.first.withUnsafeBufferPointer { fp in
                restBackward(d1, rows: n, g1, first: fp.baseAddress!, ld: wf, hidden: saved.d1Hidden,
                             firstGradient: p.baseAddress!, gradients: &gradients1)
                restBackward(d2, rows: n, g2, first: fp.baseAddress! + w1, ld: wf, hidden: saved.d2Hidden,
                             firstGradient: p.baseAddress! + w1, gradients: &gradients2)
            }
            initialized = n * wf
        }
        d1.activation.backward(output: saved.first, gradient: &dFirst)
        // First layers: one weight-gradient pass over F, split into the two MLPs' gradients.
        var dW = [Float](repeating: 0, count: wf * fw), db = [Float](repeating: 0, count: wf)
        dFirst.withUnsafeBufferPointer { g in saved.features.withUnsafeBufferPointer { x in
        dW.withUnsafeMutableBufferPointer { w in db.withUnsafeMutableBufferPointer { b in
            WeightGradient.accumulate(rows: n, outputs: wf, inputs: fw, outputGradient: g.baseAddress!, ldy: wf,
                                      input: x.baseAddress!, ldx: fw, weightGradient: w.baseAddress!, ldw: fw,
                                      biasGradient: b.baseAddress!)
        }}}}
        add(dW, from: 0, db, from: 0, into: &gradients1.layers[0])
        add(dW, from: w1 * fw, db, from: w1, into: &gradients2.layers[0])
        let weight = d1.layers[0].weight.data + d2.layers[0].weight.data
        return [Float](unsafeUninitializedCapacity: n * fw) { p, initialized in
            dFirst.withUnsafeBufferPointer { g in weight.withUnsafeBufferPointer { w in
                Gemm.multiply(m: n, n: fw, k: wf, a: g.baseAddress!, lda: wf, b: w.baseAddress!, ldb: fw,
                              c: p.baseAddress!, ldc: fw)
            }}
            initialized = n * fw
        }
    }

    /// `layer.weight += dW[wStart ..< wStart + weight.count]`, likewise the bias (pointer loops).
    static func add(_ dW: [Float], from wStart: Int, _ db: [Float], from bStart: Int, into layer: inout Linear) {
        dW.withUnsafeBufferPointer { src in
            layer.weight.data.withUnsafeMutableBufferPointer { dst in
                for i in dst.indices { dst[i] += src[wStart + i] }
            }
        }
        db.withUnsafeBufferPointer { src in
            layer.bias.data.withUnsafeMutableBufferPointer { dst in
                for j in dst.indices { dst[j] += src[bStart + j] }
            }
        }
    }

    /// Backward of layers last…1 of `mlp`; writes ∂L/∂(first-layer output) (before its activation's
    /// backward) at `firstGradient` (leading dimension `ld`).
    static func restBackward(_ mlp: MLP, rows n: Int, _ dOut: [Float], first: UnsafePointer<Float>, ld: Int,
                             hidden: [[Float]], firstGradient: UnsafeMutablePointer<Float>, gradients: inout MLP) {
        var g = dOut
        var i = mlp.layers.count - 1
        while i >= 2 {
            g = mlp.layers[i].backward(Linear.Saved(input: hidden[i - 2], rows: n), outputGradient: g,
                                       gradients: &gradients.layers[i])
            mlp.activation.backward(output: hidden[i - 2], gradient: &g)
            i -= 1
        }
        let layer = mlp.layers[1], out = layer.outFeatures, k = layer.inFeatures
        var layerGradient = gradients.layers[1]
        gradients.layers[1] = Linear(zerosIn: 0, out: 0)   // keep layerGradient's storage unique
        defer { gradients.layers[1] = layerGradient }
        g.withUnsafeBufferPointer { gp in
        layerGradient.weight.data.withUnsafeMutableBufferPointer { dw in
        layerGradient.bias.data.withUnsafeMutableBufferPointer { db in
            WeightGradient.accumulate(rows: n, outputs: out, inputs: k, outputGradient: gp.baseAddress!, ldy: out,
                                      input: first, ldx: ld, weightGradient: dw.baseAddress!, ldw: k,
                                      biasGradient: db.baseAddress!)
        }}}
        g.withUnsafeBufferPointer { gp in layer.weight.data.withUnsafeBufferPointer { w in
            Gemm.multiply(m: n, n: k, k: out, a: gp.baseAddress!, lda: out, b: w.baseAddress!, ldb: k,
                          c: firstGradient, ldc: ld)
        }}
    }
}
