import TensorCore

/// Per-caller LPIPS state (whisper.cpp's context/state split): the feature maps, pooling indices
/// and gradient buffers of the last call, allocated once and reused while the image size stays the
/// same, plus stage timings. One session per thread/training loop; the `LPIPS` network is shared.
///
/// Feature maps are NHWC: image b's layer-l map is `[H_l, W_l, C_l]` at offset `b·H_l·W_l·C_l`.
public final class LPIPSSession {
    public let network: LPIPS
    /// Accumulated time per stage (`input`, `conv1`…`conv5`, `pool`, `heads`, `backward`).
    public var timings = StageTimings()
    /// The five per-layer terms `d_l` of the last call (they sum to the distance).
    public internal(set) var layerDistances: [Float] = []

    /// Network input z `[B, H, W, 3]`.
    let input = FloatBuffer()
    /// ReLU outputs of conv1…conv5 `[B, H_l, W_l, C_l]`.
    let features = (0..<5).map { _ in FloatBuffer() }
    /// Max-pool outputs after conv1 and conv2, and their argmax indices.
    let pooled = [FloatBuffer(), FloatBuffer()]
    let argmax = [IndexBuffer(), IndexBuffer()]
    /// Backward: gradient ping-pong buffers and the dCols matrix.
    let gradients = [FloatBuffer(), FloatBuffer(), FloatBuffer()]
    let columns = FloatBuffer()
    /// Geometry of the last forward pass.
    var geometry = Geometry(height: 0, width: 0, batch: 0, specs: [])

    public init(network: LPIPS) { self.network = network }

    /// LPIPS distance between `x` and `y`, each `[H, W, 3]` in [0, 1].
    public func distance(_ x: Tensor, _ y: Tensor) throws -> Float {
        let (h, w) = try Self.validate(x, y)
        return distance(x.data, y.data, height: h, width: w)
    }

    /// LPIPS distance and `∂LPIPS/∂x` (`[H, W, 3]`, in the same [0, 1] space as `x`).
    public func distanceAndGradient(_ x: Tensor, _ y: Tensor) throws -> (distance: Float, gradient: [Float]) {
        let (h, w) = try Self.validate(x, y)
        return distanceAndGradient(x.data, y.data, height: h, width: w)
    }

    /// Array form of `distance`: `x`, `y` are `[height, width, 3]` in [0, 1]; sizes must be valid
    /// (≥ `LPIPS.minimumSize`, equal counts) — use the `Tensor` form for checked input.
    public func distance(_ x: [Float], _ y: [Float], height: Int, width: Int) -> Float {
        precondition(x.count == height * width * 3 && y.count == x.count && min(height, width) >= LPIPS.minimumSize)
        forward([x, y], height: height, width: width)
        return timings.measure("heads") { heads() }
    }

    /// Array form of `distanceAndGradient` (same preconditions as the array `distance`).
    public func distanceAndGradient(_ x: [Float], _ y: [Float], height: Int, width: Int) -> (distance: Float, gradient: [Float]) {
        precondition(x.count == height * width * 3 && y.count == x.count && min(height, width) >= LPIPS.minimumSize)
        forward([x, y], height: height, width: width)
        var gradient = [Float](repeating: 0, count: x.count)
        let d = timings.measure("backward") {
            gradient.withUnsafeMutableBufferPointer { backward(into: $0.baseAddress!) }
        }
        return (d, gradient)
    }

    /// Checks two image tensors and returns (H, W).
    static func validate(_ x: Tensor, _ y: Tensor) throws -> (Int, Int) {
        guard x.rank == 3, x.shape[2] == 3 else { throw LPIPSError.notAnImage(shape: x.shape) }
        guard y.shape == x.shape else { throw LPIPSError.shapeMismatch(x.shape, y.shape) }
        guard min(x.shape[0], x.shape[1]) >= LPIPS.minimumSize else { throw LPIPSError.tooSmall(height: x.shape[0], width: x.shape[1]) }
        return (x.shape[0], x.shape[1])
    }

    /// Runs AlexNet to relu5 on a batch of images `[H, W, 3]` in [0, 1], filling `features`.
    func forward(_ images: [[Float]], height: Int, width: Int) {
        let g = Geometry(height: height, width: width, batch: images.count, specs: network.specs)
        geometry = g
        let pixels = height * width
        let z = input.reserve(images.count * pixels * 3)
        timings.measure("input") {
            let scale = 1 / LPIPS.scale, offset = (-1 - LPIPS.shift) * scale
            for (b, image) in images.enumerated() {
                image.withUnsafeBufferPointer { src in
                    let dst = z + b * pixels * 3
                    for p in 0..<pixels {
                        for c in 0..<3 { dst[3 * p + c] = 2 * scale[c] * src[3 * p + c] + offset[c] }
                    }
                }
            }
        }
        var source = UnsafePointer(z)
        for (l, layer) in network.layers.enumerated() {
            let out = features[l].reserve(g.batch * g.convHeight[l] * g.convWidth[l] * layer.outChannels)
            timings.measure("conv\(l + 1)") {
                layer.forwardReLU(source, batch: g.batch, height: g.inHeight[l], width: g.inWidth[l], output: out)
            }
            source = UnsafePointer(out)
            if network.specs[l].poolAfter {
                let count = g.batch * g.pooledHeight[l] * g.pooledWidth[l] * layer.outChannels
                let pooledOut = pooled[l].reserve(count), indices = argmax[l].reserve(count)
                timings.measure("pool") {
                    MaxPool.forward(source, batch: g.batch, height: g.convHeight[l], width: g.convWidth[l],
                                    channels: layer.outChannels, output: pooledOut, argmax: indices)
                }
                source = UnsafePointer(pooledOut)
            }
        }
    }

    /// Sum of the per-layer terms between images 0 and 1 of the last forward pass (no gradient;
    /// `backward(into:)` computes both).
    func heads() -> Float {
        var total = 0.0
        layerDistances = []
        for l in 0..<5 {
            let pixels = geometry.featurePixels(l), c = network.specs[l].outChannels
            let f = features[l].pointer
            let d = LPIPSHead.distance(f, f + pixels * c, pixels: pixels, channels: c, weights: network.heads[l])
            layerDistances.append(Float(d))
            total += d
        }
        return Float(total)
    }
}

/// Sizes of every map for one input size: conv l reads `[inHeight[l], inWidth[l]]` and writes
/// `[convHeight[l], convWidth[l]]`; pooled maps (after conv1, conv2) are `[pooledHeight, pooledWidth]`.
struct Geometry {
    let batch: Int
    var inHeight: [Int] = [], inWidth: [Int] = []
    var convHeight: [Int] = [], convWidth: [Int] = []
    var pooledHeight: [Int] = [], pooledWidth: [Int] = []

    init(height: Int, width: Int, batch: Int, specs: [LPIPSWeights.ConvSpec]) {
        self.batch = batch
        var h = height, w = width
        for s in specs {
            inHeight.append(h); inWidth.append(w)
            h = (h + 2 * s.padding - s.kernel) / s.stride + 1
            w = (w + 2 * s.padding - s.kernel) / s.stride + 1
            convHeight.append(h); convWidth.append(w)
            if s.poolAfter { h = MaxPool.outputSize(h); w = MaxPool.outputSize(w) }
            pooledHeight.append(h); pooledWidth.append(w)
        }
    }

    /// Pixels per image of relu_l.
    func featurePixels(_ l: Int) -> Int { convHeight[l] * convWidth[l] }
}
