import AudioPlane
import DataIO
import Foundation
import Perceptual
import Splatting
import TensorCore

/// The talking-head training objective of one frame (paper §3.5, DESIGN.md §3 "Training") and its
/// gradient with respect to the rasterizer's outputs.
///
/// The head (premultiplied RGB `c` [H, W, 3], alpha `α` [H, W], rendered over black) is laid over
/// the frame's background `b` (torso over bc.jpg): `x = c + (1 − α)·b`, compared with the ground
/// truth `y`:
///
///     LPIPS available:  L = L1(x, y) + λ_LPIPS·(LPIPS(x|mouth, y|mouth) + LPIPS(x|patch, y|patch)) [+ λ_mask·L_mask]
///     D-SSIM stand-in:  L = (1 − λ_DSSIM)·L1(x, y) + λ_DSSIM·(1 − SSIM(x, y))                      [+ λ_mask·L_mask]
///     either, when λ_mouth > 0:  + λ_mouth·L1(x|lips, y|lips)   (mean over the lips rectangle)
///
/// `mouth` is a square crop of side s (`lpipsPatchSize`, clamped to the image, ≥ `LPIPS.minimumSize`)
/// centred on the lips rectangle; `patch` a random s×s crop. L_mask (eq. 9, `MarginMaskLoss`) compares
/// the splatted dynamism map g (extra channel 0) with the mouth mask m (fine stage only).
/// Gradients: ∂L/∂c = ∂L/∂x; ∂L/∂α = −Σ_ch ∂L/∂x_ch · b_ch; ∂L/∂g from the mask loss.
/// Holds its scratch (SSIM maps, LPIPS session): one instance per training loop.
public final class TalkingHeadLoss {
    /// The value of each term of the last evaluation (unweighted).
    public struct Terms: Equatable, Sendable {
        public var total: Float = 0
        public var l1: Float = 0
        public var perceptual: Float = 0
        public var mask: Float = 0
    }

    /// What one evaluation returns: terms, the composited frame, and ∂L/∂(image, alpha, extras).
    public struct Result {
        public var terms: Terms
        public var composite: [Float]
        public var dImage: [Float]
        public var dAlpha: [Float]
        public var dExtras: [Float]
    }

    public let lambdaLPIPS: Float
    public let lambdaDSSIM: Float
    public let lambdaMask: Float
    public let lambdaMouthL1: Float
    public let margin: Float
    public let patchSize: Int
    /// Non-nil when the perceptual term is LPIPS; nil means D-SSIM.
    let lpips: LPIPSSession?
    let ssim = SSIM()

    /// `lpips` nil: the D-SSIM stand-in. `margin` is L_mask's hinge margin (eq. 9).
    public init(config: TrainingConfig, lpips: LPIPS?) {
        lambdaLPIPS = config.lambdaLPIPS
        lambdaDSSIM = config.lambdaDSSIM
        lambdaMask = config.lambdaMask
        lambdaMouthL1 = config.lambdaMouthL1
        margin = config.model.margin
        patchSize = config.lpipsPatchSize
        self.lpips = lpips.map { LPIPSSession(network: $0) }
    }

    /// "LPIPS" or "D-SSIM": which perceptual term this loss uses.
    public var perceptualName: String { lpips != nil ? "LPIPS" : "D-SSIM" }

    /// Evaluates the loss of the rendered `images` for `sample`; `withMask` adds λ_mask·L_mask on
    /// extra channel 0 (needs `images.extraChannels == 1`). `rng` places the random LPIPS patch.
    public func evaluate(_ images: RasterImages, sample: TalkingHeadSample, withMask: Bool,
                         rng: inout SeededRandom) -> Result {
        let w = images.width, h = images.height, p = w * h
        let x = Compositing.composite(headRGB: images.image, headAlpha: images.alpha, background: sample.background)
        let y = sample.groundTruth
        var terms = Terms()
        let l1 = ImageLosses.l1(x, y)
        terms.l1 = l1.loss
        var dx: [Float]
        let side = min(max(patchSize, LPIPS.minimumSize), w, h)
        if let lpips, side >= LPIPS.minimumSize {
            dx = l1.gradient
            terms.total = l1.loss
            let lips = sample.lips
            let mouthCentre = ((lips.rowMin + lips.rowMax) / 2, (lips.colMin + lips.colMax) / 2)
            let patch = (rng.index(h - side + 1), rng.index(w - side + 1))
            let mouth = (min(max(mouthCentre.0 - side / 2, 0), h - side), min(max(mouthCentre.1 - side / 2, 0), w - side))
            for (row0, col0) in [mouth, patch] {
                let rect = PixelRect(rowMin: row0, rowMax: row0 + side, colMin: col0, colMax: col0 + side)
                let xc = ImageMetrics.crop(x, width: w, rect: rect), yc = ImageMetrics.crop(y, width: w, rect: rect)
                let (d, g) = lpips.distanceAndGradient(xc, yc, height: side, width: side)
                terms.perceptual += d
                terms.total += lambdaLPIPS * d
                var k = 0
                for r in rect.rowMin..<rect.rowMax {
                    for c in rect.colMin..<rect.colMax {
                        for ch in 0..<3 { dx[3 * (r * w + c) + ch] += lambdaLPIPS * g[k]; k += 1 }
                    }
                }
            }
        } else {
            let lambda = lambdaDSSIM
            let s = ssim.evaluate(x, y, width: w, height: h, channels: 3)
            terms.perceptual = 1 - s.ssim
            terms.total = (1 - lambda) * l1.loss + lambda * (1 - s.ssim)
            dx = [Float](repeating: 0, count: x.count)
            for i in dx.indices { dx[i] = (1 - lambda) * l1.gradient[i] - lambda * s.gradient[i] }
        }
        if lambdaMouthL1 > 0 {
            let lips = sample.lips
            let rect = PixelRect(rowMin: max(lips.rowMin, 0), rowMax: min(lips.rowMax, h), colMin: max(lips.colMin, 0), colMax: min(lips.colMax, w))
            if !rect.isEmpty {
                let scale = lambdaMouthL1 / Float(3 * (rect.rowMax - rect.rowMin) * (rect.colMax - rect.colMin))
                var sum: Float = 0
                for r in rect.rowMin..<rect.rowMax {
                    for c in rect.colMin..<rect.colMax {
                        for ch in 0..<3 {
                            let i = 3 * (r * w + c) + ch, e = x[i] - y[i]
                            sum += abs(e)
                            dx[i] += e > 0 ? scale : (e < 0 ? -scale : 0)
                        }
                    }
                }
                terms.total += scale * sum
            }
        }
        var dAlpha = [Float](repeating: 0, count: p)
        let bg = sample.background
        for i in 0..<p { dAlpha[i] = -(dx[3 * i] * bg[3 * i] + dx[3 * i + 1] * bg[3 * i + 1] + dx[3 * i + 2] * bg[3 * i + 2]) }
        var dExtras: [Float] = []
        if withMask {
            precondition(images.extraChannels == 1, "TalkingHeadLoss: the mask loss needs the dynamism map as one extra channel")
            let (loss, g) = MarginMaskLoss.evaluate(dynamismMap: images.extras, mask: sample.mouthMask, margin: margin)
            terms.mask = loss
            terms.total += lambdaMask * loss
            dExtras = g.map { lambdaMask * $0 }
        }
        return Result(terms: terms, composite: x, dImage: dx, dAlpha: dAlpha, dExtras: dExtras)
    }
}
