import TensorCore

/// Everything a backward pass needs from one forward render (explicit saved state, as graphdeco's
/// forward/backward split). Holds copies (copy-on-write) of the renderer's buffers.
public struct SplatForwardPass {
    /// The rendered images: RGB [H, W, 3], alpha [H, W], extras [H, W, E].
    public var images: RasterImages
    let cloud: GaussianCloud
    let camera: Camera
    let settings: RenderSettings
    let extras: [Float]
    let projected: ProjectedGaussians
    let binning: TileBinning
    let records: [Float]

    /// Number of Gaussians that survived culling.
    public var visibleCount: Int { binning.order.count }
    /// Number of (tile, Gaussian) pairs.
    public var tileEntryCount: Int { binning.entryCount }
    /// Mean number of Gaussians evaluated per pixel by the blend.
    public var meanEvaluatedPerPixel: Double {
        Double(images.evaluatedCount) / Double(max(1, images.width * images.height))
    }
}

/// The fast CPU rasterizer: projection → tile binning (radix depth sort + per-tile scatter) →
/// SIMD front-to-back blending, and the matching backward pass. Reuses its buffers between
/// calls; one instance per thread of work (not thread-safe itself; it parallelises internally).
/// `timings` accumulates stages "project", "bin", "blend", "backward".
public final class SplatRenderer {
    public var timings = StageTimings()
    private var projected = ProjectedGaussians()
    private var binning = TileBinning()
    private var records: [Float] = []
    private var images = RasterImages()
    private var entryGradients: [Float] = []
    private var blendGradients = BlendGradients()

    public init() {}

    /// Renders `cloud` from `camera`. `extras` [N, E] (E = `extraChannels`) are blended like
    /// colour with background 0 (e.g. depth, or the talking head's dynamism weight).
    public func render(_ cloud: GaussianCloud, camera: Camera, settings: RenderSettings = RenderSettings(),
                       extras: [Float] = [], extraChannels: Int = 0) -> SplatForwardPass {
        precondition(cloud.isConsistent, "GaussianCloud arrays are inconsistent")
        precondition(extras.count == cloud.count * extraChannels, "extras must be [N, E]")
        timings.measure("project") { projectGaussians(cloud, camera: camera, settings: settings, into: &projected) }
        timings.measure("bin") {
            binning.build(projected, width: camera.width, height: camera.height)
            packRecords(projected, into: &records)
        }
        timings.measure("blend") {
            images.resize(width: camera.width, height: camera.height, extraChannels: extraChannels)
            blendTiles(binning: binning, records: records, extras: extras, extraChannels: extraChannels,
                       background: settings.background, into: &images)
        }
        return SplatForwardPass(images: images, cloud: cloud, camera: camera, settings: settings, extras: extras,
                                projected: projected, binning: binning, records: records)
    }

    /// Gradients of a scalar loss L with respect to the cloud's parameters and the extras, given
    /// ∂L/∂image `dImage` [H, W, 3], ∂L/∂alpha `dAlpha` [H, W] (or empty) and ∂L/∂extras
    /// `dExtras` [H, W, E] (or empty).
    public func backward(_ pass: SplatForwardPass, dImage: [Float], dAlpha: [Float] = [], dExtras: [Float] = []) -> SplatGradients {
        let p = pass.images.width * pass.images.height
        precondition(dImage.count == 3 * p, "dImage must be [H, W, 3]")
        precondition(dAlpha.isEmpty || dAlpha.count == p, "dAlpha must be [H, W]")
        precondition(dExtras.isEmpty || dExtras.count == p * pass.images.extraChannels, "dExtras must be [H, W, E]")
        var grads = SplatGradients()
        timings.measure("backward") {
            blendTilesBackward(binning: pass.binning, records: pass.records, extras: pass.extras,
                               extraChannels: pass.images.extraChannels, background: pass.settings.background,
                               forward: pass.images, dImage: dImage, dAlpha: dAlpha, dExtras: dExtras,
                               entryGradients: &entryGradients, into: &blendGradients)
            projectGaussiansBackward(pass.cloud, camera: pass.camera, settings: pass.settings,
                                     projected: pass.projected, blend: blendGradients, into: &grads)
        }
        return grads
    }
}

extension SplatForwardPass {
    /// [N] true for Gaussians drawn in this view.
    public var visibility: [Bool] { projected.visible }
    /// [N] screen radius in pixels (3σ of the major axis; 0 when culled).
    public var screenRadii: [Float] { zip(projected.visible, projected.radius).map { $0 ? $1 : 0 } }
}
